// Where the gateway's CPU per request goes, against floors measured in the same run (a development tool,
// not the bench):
//   node --conditions=source --import tsx bench/gateway/floor.ts
// Starts redis-server, the stub InferenceService (stub-worker.ts, in this process), the load monitor, the
// gateway, and one floor-server.ts process per mode (http, fastify, http-h2, fastify-h2). Then, in
// interleaved rounds (the order rotates every round), each server gets a block of POST /v1/infer (the same
// 300-byte-frame InferRequest) and, where it has the route, a block of POST /v1/plan, one request at a
// time. A server's CPU for a block is its processes' run time from /proc before and after (cpuUsOf). Prints the median CPU per request of every server and route, and the differences
// that say what each layer costs: fastify over node:http, the gRPC client call, the gateway over the
// fastify + client floor. BENCH_FLOOR_ROUNDS (default 8), BENCH_FLOOR_BLOCK (default 300).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'undici';
import { planBody, routeHeaders, stubInferBody } from './requests.js';
import {
  ROOT,
  cpuUsOf,
  start,
  startRedis,
  stopAll,
  tsx,
  writeJson,
  startLoadMonitor,
  waitForWorkerInView,
} from './processes.js';
import { STUB_MODEL, stubWorker } from './stub-worker.js';

const ROUNDS = Number(process.env.BENCH_FLOOR_ROUNDS ?? 8);
const BLOCK = Number(process.env.BENCH_FLOOR_BLOCK ?? 300);
const KEY = 'bench-key-0123456789abcdef';
const log = (s: string): void => void process.stdout.write(`${s}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Target {
  name: string;
  http: Client;
  cpuUs: () => number;
  plan: boolean;
}

async function main(): Promise<void> {
  const stub = await stubWorker();
  const redisUrl = await startRedis();
  await startLoadMonitor(redisUrl, [stub.address]);
  const targets: Target[] = [];
  for (const mode of ['http', 'fastify', 'http-h2', 'fastify-h2']) {
    const args = mode.endsWith('-h2') ? [mode, stub.address] : [mode];
    const s = await start(
      `floor-${mode}`,
      process.execPath,
      tsx('bench/gateway/floor-server.ts', args),
      {},
      /floor listening (\d+)/,
    );
    const url = `http://127.0.0.1:${s.match[1]!}`;
    targets.push({
      name: mode,
      http: new Client(url, { pipelining: 1 }),
      cpuUs: () => cpuUsOf(s.proc.child.pid!),
      plan: !mode.endsWith('-h2'),
    });
  }
  const gw = await start(
    'gateway',
    process.execPath,
    tsx('services/gateway/src/main.ts', [
      '--config',
      writeJson('gateway', {
        listen: { host: '127.0.0.1', port: 0 },
        redis: { url: redisUrl },
        apiKeys: [{ name: 'bench', key: KEY, ratePerSecond: 10_000_000 }],
        modelDirs: [join(ROOT, 'models', STUB_MODEL)],
        logLevel: 'info',
      }),
    ]),
    {},
    /"port":(\d+)[^\n]*"msg":"gateway listening"/,
  );
  const gwUrl = `http://127.0.0.1:${gw.match[1]!}`;
  await waitForWorkerInView(gwUrl);
  targets.push({
    name: 'gateway',
    http: new Client(gwUrl, { pipelining: 1 }),
    cpuUs: () => cpuUsOf(gw.proc.child.pid!),
    plan: true,
  });
  const inferBody = stubInferBody(STUB_MODEL);
  const plan = planBody(STUB_MODEL);
  const headers = routeHeaders(KEY);
  const block = async (t: Target, route: 'infer' | 'plan', n: number): Promise<number> => {
    const before = t.cpuUs();
    for (let i = 0; i < n; i++) {
      const r = await t.http.request({
        path: `/v1/${route}`,
        method: 'POST',
        headers: headers[route],
        body: route === 'infer' ? inferBody : plan,
      });
      const bytes = Buffer.from(await r.body.arrayBuffer());
      if (r.statusCode !== 200)
        throw new Error(`${t.name} ${route}: ${String(r.statusCode)} ${bytes.toString()}`);
    }
    return (t.cpuUs() - before) / n;
  };
  const routes = (t: Target): ('infer' | 'plan')[] => (t.plan ? ['infer', 'plan'] : ['infer']);
  for (const t of targets) for (const route of routes(t)) await block(t, route, 500); // JIT warm-up
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const t of order)
      for (const route of routes(t))
        (samples[`${t.name}/${route}`] ??= []).push(await block(t, route, BLOCK));
  }
  log(
    `${String(ROUNDS)} rounds x ${String(BLOCK)} requests, one at a time; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  const m = (k: string): number => median(samples[k]!);
  for (const k of Object.keys(samples))
    log(
      `${k.padEnd(18)} CPU per request median ${m(k).toFixed(0).padStart(5)} us (min ${Math.min(...samples[k]!).toFixed(0)})`,
    );
  log(
    `infer: fastify over node:http ${(m('fastify/infer') - m('http/infer')).toFixed(0)} us; gRPC client call (node:http2) ${(m('http-h2/infer') - m('http/infer')).toFixed(0)} us; gateway over the fastify + client floor ${(m('gateway/infer') - m('fastify-h2/infer')).toFixed(0)} us (gateway / floor ${(m('gateway/infer') / m('fastify-h2/infer')).toFixed(2)})`,
  );
  log(
    `plan: fastify over node:http ${(m('fastify/plan') - m('http/plan')).toFixed(0)} us; gateway over fastify ${(m('gateway/plan') - m('fastify/plan')).toFixed(0)} us (gateway / fastify ${(m('gateway/plan') / m('fastify/plan')).toFixed(2)})`,
  );
  for (const t of targets) await t.http.close();
  stub.server.forceShutdown();
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
