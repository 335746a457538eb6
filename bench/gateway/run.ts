// pnpm bench:gateway: the gateway's cost, measured against its limits in one run.
//   added_p50_ms = p50 of POST /v1/infer through the gateway (HTTP + gRPC to the worker) minus p50 of the
//                  same request sent to the worker directly over gRPC (grpc-js), one request at a time,
//                  interleaved in blocks so that drift hits both alike                       (limit < 0.3)
//                  Also printed: the direct call with the gateway's own HTTP/2 client, and the gateway
//                  minus that (the cost of the extra hop once the cheaper worker hop is taken out).
//   plan_rps     = POST /v1/plan requests per second, the gateway process pinned to one core (taskset)
//                  while autocannon loads it from the other                                  (limit >= 5000)
// Real parts: redis-server, the load monitor, one real cloud worker (models/fmnist-tiny, partition rb1),
// the gateway, all as child processes on loopback.
// Environment: BENCH_GATEWAY_REQUESTS (latency samples per side, default 3000), BENCH_GATEWAY_SECONDS
// (plan load duration, default 5), BENCH_GATEWAY_CONNECTIONS (default 32), BENCH_GATEWAY_CPU_PROF (a folder:
// the gateway runs with `node --cpu-prof` and writes its profile there when the bench stops it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import autocannon from 'autocannon';
import { Client } from 'undici';
import { encodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { GrpcUnaryChannel } from '@bottlenet/gateway';
import {
  InferReply,
  InferRequest,
  InferenceServiceClient,
  InferenceServiceService,
} from '@bottlenet/protocol';
import {
  ROOT,
  start,
  startRedis,
  stopAll,
  tsx,
  writeJson,
  startLoadMonitor,
  waitForWorkerInView,
} from './processes.js';

const REQUESTS = Number(process.env.BENCH_GATEWAY_REQUESTS ?? 3000);
const SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_GATEWAY_CONNECTIONS ?? 32);
const LIMITS = { addedP50Ms: 0.3, planRps: 5000 };
const KEY = 'bench-key-0123456789abcdef';
const MODEL_DIR = join(ROOT, 'models', 'fmnist-tiny');
const log = (s: string): void => void process.stdout.write(`${s}\n`);

/** User + system CPU seconds of a process so far (Linux /proc, clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<number> {
  if (!existsSync(join(MODEL_DIR, 'manifest.json')))
    throw new Error(`no model repository at ${MODEL_DIR}`);
  const redisUrl = await startRedis();
  const worker = await start(
    'worker',
    process.execPath,
    tsx('services/cloud-worker/src/main.ts'),
    {
      WORKER_ID: 'bench-w1',
      WORKER_MODELS: MODEL_DIR,
      WORKER_GRPC_HOST: '127.0.0.1',
      WORKER_GRPC_PORT: '0',
      WORKER_METRICS_ENABLED: 'false',
      WORKER_INTRA_OP_THREADS: '1',
    },
    /"grpcPort":(\d+)[^\n]*"msg":"worker SERVING"/,
  );
  const workerAddress = `127.0.0.1:${worker.match[1]!}`;
  await startLoadMonitor(redisUrl, [workerAddress]);
  const pin = existsSync('/usr/bin/taskset')
    ? (['/usr/bin/taskset', ['-c', '1']] as const)
    : undefined;
  const profDir = process.env.BENCH_GATEWAY_CPU_PROF;
  const profArgs =
    profDir === undefined || profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir];
  const gwArgs = [
    ...profArgs,
    ...tsx('services/gateway/src/main.ts', [
      '--config',
      writeJson('gateway', {
        listen: { host: '127.0.0.1', port: 0 },
        redis: { url: redisUrl },
        apiKeys: [{ name: 'bench', key: KEY, ratePerSecond: 10_000_000 }],
        modelDirs: [MODEL_DIR],
        logLevel: 'info',
      }),
    ]),
  ];
  const gateway = await start(
    'gateway',
    pin ? pin[0] : process.execPath,
    pin ? [...pin[1], process.execPath, ...gwArgs] : gwArgs,
    {},
    /"port":(\d+)[^\n]*"msg":"gateway listening"/,
  );
  const gwUrl = `http://127.0.0.1:${gateway.match[1]!}`;
  const baseArgs = tsx('bench/gateway/baseline-server.ts');
  const baseline = await start(
    'baseline',
    pin ? pin[0] : process.execPath,
    pin ? [...pin[1], process.execPath, ...baseArgs] : baseArgs,
    {},
    /baseline listening (\d+)/,
  );
  const baseUrl = `http://127.0.0.1:${baseline.match[1]!}`;
  await waitForWorkerInView(gwUrl);

  // --- /v1/infer overhead ---------------------------------------------------------------------------
  const features = new Float32Array(14 * 14).map((_, i) => Math.abs(Math.sin(i * 0.37)) * 3);
  const frame = Buffer.from(
    encodeFeatureFrame(features, [1, 14, 14], {
      codec: 'jpeg',
      quality: 20,
      bits: 8,
      omitTables: true,
    }),
  );
  const request: InferRequest = {
    model: 'fmnist-tiny',
    version: '',
    partitionId: 'rb1',
    payload: { $case: 'featureFrame', featureFrame: frame },
    timeoutMs: 5000,
    requestId: '',
    topK: 5,
  };
  const body = Buffer.from(InferRequest.encode(request).finish());
  const grpc = new InferenceServiceClient(workerAddress, credentials.createInsecure());
  const direct = (): Promise<number> =>
    new Promise((res, rej) => {
      const t0 = performance.now();
      grpc.infer(
        request,
        new Metadata(),
        { deadline: Date.now() + 5000 },
        (err: ServiceError | null, reply?: InferReply) => {
          if (err !== null || reply === undefined) rej(err ?? new Error('no reply'));
          else res(performance.now() - t0);
        },
      );
    });
  // The same call with the gateway's own HTTP/2 client: not the limit's baseline (a service calling a
  // worker directly uses a gRPC library), but it shows what the HTTP hop and the gateway cost by
  // themselves once the cheaper worker hop is taken out.
  const lean = new GrpcUnaryChannel(workerAddress, 'bench');
  const leanFramed = GrpcUnaryChannel.frame(Buffer.from(InferRequest.encode(request).finish()));
  const directLean = (): Promise<number> =>
    new Promise((res, rej) => {
      const t0 = performance.now();
      lean.callFramed(
        InferenceServiceService.infer.path,
        leanFramed,
        Date.now() + 5000,
        (err, reply) => {
          if (err !== undefined || reply === undefined) return rej(err ?? new Error('no reply'));
          InferReply.decode(reply); // decoded, as the other callers do
          res(performance.now() - t0);
        },
      );
    });
  const http = new Client(gwUrl, { pipelining: 1 });
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-protobuf' };
  const viaGateway = async (): Promise<number> => {
    const t0 = performance.now();
    const r = await http.request({ path: '/v1/infer', method: 'POST', headers, body });
    const bytes = Buffer.from(await r.body.arrayBuffer());
    if (r.statusCode !== 200)
      throw new Error(`gateway answered ${String(r.statusCode)}: ${bytes.toString()}`);
    InferReply.decode(bytes); // the caller decodes the same reply as the direct caller does
    return performance.now() - t0;
  };
  for (let i = 0; i < 300; i++) {
    await direct();
    await directLean();
    await viaGateway();
  }
  const gwPid = gateway.proc.child.pid!;
  const baseHttp = new Client(baseUrl, { pipelining: 1 });
  const bare = async (): Promise<number> => {
    const t0 = performance.now();
    const r = await baseHttp.request({ path: '/', method: 'POST', headers, body });
    await r.body.arrayBuffer();
    return performance.now() - t0;
  };
  for (let i = 0; i < 300; i++) await bare();
  const bms: number[] = [];
  const dms: number[] = [];
  const lms: number[] = [];
  const gms: number[] = [];
  let gwCpu = 0;
  let baseCpu = 0;
  const basePid = baseline.proc.child.pid!;
  const block = 100;
  for (let done = 0; done < REQUESTS; done += block) {
    for (let i = 0; i < block; i++) dms.push(await direct());
    for (let i = 0; i < block; i++) lms.push(await directLean());
    const b0 = cpuSeconds(basePid);
    for (let i = 0; i < block; i++) bms.push(await bare());
    baseCpu += cpuSeconds(basePid) - b0;
    const c0 = cpuSeconds(gwPid);
    for (let i = 0; i < block; i++) gms.push(await viaGateway());
    gwCpu += cpuSeconds(gwPid) - c0;
  }
  const p50d = percentile(dms, 50);
  const p50g = percentile(gms, 50);
  const added = p50g - p50d;
  log(
    `infer direct   p50=${p50d.toFixed(3)} ms p99=${percentile(dms, 99).toFixed(3)} ms (n=${String(dms.length)})`,
  );
  log(
    `infer gateway  p50=${p50g.toFixed(3)} ms p99=${percentile(gms, 99).toFixed(3)} ms (n=${String(gms.length)})`,
  );
  const p50l = percentile(lms, 50);
  log(
    `calibration: direct with the gateway's own HTTP/2 client p50=${p50l.toFixed(3)} ms; gateway minus that = ${(p50g - p50l).toFixed(3)} ms (the HTTP hop and the gateway alone)`,
  );
  log(
    `calibration: bare node:http round trip with the same body p50=${percentile(bms, 50).toFixed(3)} ms (the HTTP hop alone; the gateway adds this hop by design)`,
  );
  log(
    `gateway CPU per /v1/infer: ${((gwCpu / gms.length) * 1e6).toFixed(0)} us (user+system, whole process); bare node:http CPU per request: ${((baseCpu / bms.length) * 1e6).toFixed(0)} us`,
  );
  log(
    `added_p50_ms=${added.toFixed(3)} limit < ${String(LIMITS.addedP50Ms)} -> ${added < LIMITS.addedP50Ms ? 'ok' : 'FAIL'}`,
  );
  await http.close();
  await baseHttp.close();
  grpc.close();
  lean.close();

  // --- /v1/plan throughput ------------------------------------------------------------------------
  const planBody = JSON.stringify({
    agentId: 'bench',
    model: 'fmnist-tiny',
    uplink: { bandwidthMbps: 5.85, rttMs: 20, network: '4g' },
    mobile: {
      load: 0.2,
      profiles: [
        { candidateId: 'rb1', mobileMs: 1.2, powerMw: 4000 },
        { candidateId: 'mobile', mobileMs: 3.5, powerMw: 4500 },
      ],
    },
    objective: 'OBJECTIVE_LATENCY',
    currentCandidateId: 'rb1',
  });
  const check = await fetch(`${gwUrl}/v1/plan`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: planBody,
  });
  if (check.status !== 200)
    throw new Error(`plan answered ${String(check.status)}: ${await check.text()}`);
  const planned = (await check.json()) as {
    chosen: { candidateId: string };
    candidates: unknown[];
  };
  log(
    `plan: chosen ${planned.chosen.candidateId} of ${String(planned.candidates.length)} candidates`,
  );
  const base = await autocannon({
    url: baseUrl,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: planBody,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  const baseRps = base.requests.total / (base.duration || SECONDS);
  log(
    `calibration: bare node:http on the same core: ${baseRps.toFixed(0)} req/s (the ceiling of any Node HTTP service here, now)`,
  );
  const planCpu0 = cpuSeconds(gwPid);
  const result = await autocannon({
    url: `${gwUrl}/v1/plan`,
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: planBody,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  const planCpu = cpuSeconds(gwPid) - planCpu0;
  const rps = result.requests.total / (result.duration || SECONDS);
  const cpuUs = (planCpu / Math.max(1, result.requests.total)) * 1e6;
  log(
    `gateway CPU per /v1/plan: ${cpuUs.toFixed(0)} us -> ${(1e6 / cpuUs).toFixed(0)} req/s per fully available core; load average now ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on this machine`,
  );
  const non2xx = result.non2xx + result.errors;
  log(
    `plan: ${String(result.requests.total)} requests in ${String(result.duration)} s, ${String(non2xx)} errors/non-2xx, p50 ${String(result.latency.p50)} ms, gateway pinned to one core: ${pin ? 'yes (taskset -c 1)' : 'no (taskset missing)'}`,
  );
  log(`plan_rps / bare node:http = ${(rps / baseRps).toFixed(2)}`);
  log(
    `plan_rps=${rps.toFixed(0)} limit >= ${String(LIMITS.planRps)} -> ${rps >= LIMITS.planRps ? 'ok' : 'FAIL'}`,
  );
  const ok = added < LIMITS.addedP50Ms && rps >= LIMITS.planRps && non2xx === 0;
  log(`gateway: added_p50_ms=${added.toFixed(3)} plan_rps=${rps.toFixed(0)}`);
  return ok ? 0 : 1;
}

main()
  .then(async (code) => {
    await stopAll();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    process.stderr.write(
      `bench:gateway failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    await stopAll();
    process.exit(1);
  });
