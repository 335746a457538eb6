// Same-run A/B of the gateway's CPU per request (a development tool, not the bench):
//   node --conditions=source --import tsx bench/gateway/cpu-ab.ts '<env of A as JSON>' '<env of B as JSON>'
// Starts redis-server, a stub InferenceService (grpc-js, in this process: fixed reply with a load hint),
// the real load monitor, and two gateway processes from source that differ only by the environment given
// (e.g. a switch a change under test reads). Then, in interleaved rounds, each gateway gets a block of
// /v1/infer and a block of /v1/plan requests one at a time; the gateway's own CPU for the block is read
// from its /metrics (process.cpuUsage, microseconds) before and after. Prints the median (and min) CPU
// per request per route and variant, and B/A. BENCH_AB_ROUNDS (default 8), BENCH_AB_BLOCK (default 300).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Client } from 'undici';
import {
  InferReply,
  InferRequest,
  InferenceServiceService,
  type InferenceServiceServer,
  type LoadReport,
} from '@bottlenet/protocol';
import { ROOT, start, startRedis, stopAll, tsx, writeJson } from './processes.js';

const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 8);
const BLOCK = Number(process.env.BENCH_AB_BLOCK ?? 300);
const KEY = 'bench-key-0123456789abcdef';
const MODEL = 'fmnist-tiny';
const MODEL_DIR = join(ROOT, 'models', MODEL);
const log = (s: string): void => void process.stdout.write(`${s}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function stubWorker(): Promise<{ address: string; server: Server }> {
  let address = '';
  const report = (): LoadReport => ({
    workerId: 'stub',
    address,
    models: [{ name: MODEL, version: '1', partitionIds: ['rb1', 'rb2', 'rb3', 'cloud'] }],
    partitions: [
      {
        model: MODEL,
        version: '1',
        partitionId: 'rb1',
        queueDepth: 0,
        inFlight: 0,
        ewmaServiceMs: 2,
        ewmaBatchSize: 1,
        ewmaQueueMs: 0,
        maxBatchSize: 4,
        completedTotal: 0,
      },
    ],
    inFlight: 0,
    capacity: 8,
    queueCapacity: 64,
    queueDepth: 0,
    timestampMs: Date.now(),
    ready: true,
  });
  const impl: InferenceServiceServer = {
    infer(call, cb) {
      const r = report();
      cb(null, {
        requestId: call.request.requestId,
        topK: [
          { classIndex: 3, label: 'three', score: 0.9 },
          { classIndex: 1, label: 'one', score: 0.05 },
        ],
        timings: { queueUs: 10, decodeUs: 50, computeUs: 400, totalUs: 470, batchSize: 1 },
        load: {
          workerId: r.workerId,
          queueDepth: 0,
          inFlight: 0,
          capacity: 8,
          queueCapacity: 64,
          partitions: r.partitions,
          timestampMs: r.timestampMs,
        },
        workerId: 'stub',
        model: MODEL,
        version: '1',
        partitionId: call.request.partitionId,
      });
    },
    getLoad(_call, cb) {
      cb(null, report());
    },
    inferStream(call) {
      call.end();
    },
  };
  const server = new Server();
  server.addService(InferenceServiceService, impl);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  address = `127.0.0.1:${String(port)}`;
  return { address, server };
}

async function main(): Promise<void> {
  const envs = [2, 3].map((i) => JSON.parse(process.argv[i] ?? '{}') as Record<string, string>);
  const redisUrl = await startRedis();
  const stub = await stubWorker();
  await start(
    'load-monitor',
    process.execPath,
    tsx('services/load-monitor/src/main.ts', [
      '--config',
      writeJson('monitor', {
        redis: { url: redisUrl },
        discovery: { static: [stub.address] },
        http: { host: '127.0.0.1', port: 0 },
      }),
    ]),
    {},
    /"msg":"load monitor listening"/,
  );
  const config = writeJson('gateway', {
    listen: { host: '127.0.0.1', port: 0 },
    redis: { url: redisUrl },
    apiKeys: [{ name: 'bench', key: KEY, ratePerSecond: 10_000_000 }],
    modelDirs: [MODEL_DIR],
    logLevel: 'info',
  });
  const gateways = await Promise.all(
    envs.map(async (env, i) => {
      const g = await start(
        `gateway-${'AB'[i]!}`,
        process.execPath,
        tsx('services/gateway/src/main.ts', ['--config', config]),
        env,
        /"port":(\d+)[^\n]*"msg":"gateway listening"/,
      );
      return {
        name: 'AB'[i]!,
        env,
        url: `http://127.0.0.1:${g.match[1]!}`,
        http: new Client(`http://127.0.0.1:${g.match[1]!}`, { pipelining: 1 }),
      };
    }),
  );
  for (const g of gateways) {
    for (let i = 0; ; i++) {
      const r = (await (await fetch(`${g.url}/readyz`)).json()) as { workers: number };
      if (r.workers >= 1) break;
      if (i > 200) throw new Error(`gateway ${g.name} never saw the worker`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const inferBody = Buffer.from(
    InferRequest.encode({
      model: MODEL,
      version: '',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: Buffer.alloc(300, 7) },
      timeoutMs: 5000,
      requestId: '',
      topK: 5,
    }).finish(),
  );
  const planBody = JSON.stringify({
    model: MODEL,
    uplink: { bandwidthMbps: 5.85, network: '4g' },
    objective: 'OBJECTIVE_LATENCY',
    currentCandidateId: 'rb1',
  });
  const inferHeaders = { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-protobuf' };
  const planHeaders = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const cpuUs = async (url: string): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^bottlenet_gateway_process_cpu_seconds_total ([0-9.e+-]+)$/m.exec(text);
    if (m === null) throw new Error('no process_cpu_seconds_total in /metrics');
    return Number(m[1]) * 1e6;
  };
  const block = async (
    g: (typeof gateways)[number],
    route: 'infer' | 'plan',
    n: number,
  ): Promise<number> => {
    const before = await cpuUs(g.url);
    for (let i = 0; i < n; i++) {
      const r =
        route === 'infer'
          ? await g.http.request({
              path: '/v1/infer',
              method: 'POST',
              headers: inferHeaders,
              body: inferBody,
            })
          : await g.http.request({
              path: '/v1/plan',
              method: 'POST',
              headers: planHeaders,
              body: planBody,
            });
      const bytes = Buffer.from(await r.body.arrayBuffer());
      if (r.statusCode !== 200)
        throw new Error(`${g.name} ${route}: ${String(r.statusCode)} ${bytes.toString()}`);
      if (route === 'infer' && i === 0) InferReply.decode(bytes);
    }
    return ((await cpuUs(g.url)) - before) / n;
  };
  for (const g of gateways)
    for (const route of ['infer', 'plan'] as const) await block(g, route, 500); // warm-up (JIT)
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const route of ['infer', 'plan'] as const) {
      for (const g of order)
        (samples[`${g.name}/${route}`] ??= []).push(await block(g, route, BLOCK));
    }
  }
  log(
    `A=${JSON.stringify(envs[0])} B=${JSON.stringify(envs[1])}; ${String(ROUNDS)} rounds x ${String(BLOCK)} requests; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  for (const route of ['infer', 'plan']) {
    const a = samples[`A/${route}`]!;
    const b = samples[`B/${route}`]!;
    log(
      `${route}: gateway CPU per request A median ${median(a).toFixed(0)} us (min ${Math.min(...a).toFixed(0)}), B median ${median(b).toFixed(0)} us (min ${Math.min(...b).toFixed(0)}), B/A ${(median(b) / median(a)).toFixed(3)}; per round B/A ${a.map((x, i) => (b[i]! / x).toFixed(2)).join(' ')}`,
    );
  }
  for (const g of gateways) await g.http.close();
  stub.server.forceShutdown();
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
