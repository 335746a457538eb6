// Same-run A/B of the gateway's CPU per request (a development tool, not the bench):
//   node --conditions=source --import tsx bench/gateway/cpu-ab.ts '<env of A as JSON>' '<env of B as JSON>'
// Starts redis-server, a stub InferenceService (grpc-js, in this process: fixed reply with a load hint),
// the real load monitor, and two gateway processes from source that differ only by the environment given
// (e.g. a switch a change under test reads; BENCH_AB_GATEWAY_MAIN in a variant's environment runs
// another copy of the gateway's main.ts, e.g. one exported from git HEAD: before/after a change). Then, in interleaved rounds, each gateway gets a block of
// /v1/infer and a block of /v1/plan requests one at a time; the gateway's own CPU for the block is its
// run time from /proc before and after (cpuUsOf, all threads, nanoseconds). Prints the median (and min) CPU
// per request per route and variant, and B/A. BENCH_AB_ROUNDS (default 8), BENCH_AB_BLOCK (default 300),
// BENCH_AB_ROUTES (default infer,plan), BENCH_AB_STRACE=1 (system calls per request, strace -c, first), BENCH_AB_CPU_PROF (a folder: each gateway runs with `node --cpu-prof`, profiles in <folder>/A and /B).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { InferReply } from '@bottlenet/protocol';
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
import { stubWorker } from './stub-worker.js';

const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 8);
const BLOCK = Number(process.env.BENCH_AB_BLOCK ?? 300);
const ROUTES = (process.env.BENCH_AB_ROUTES ?? 'infer,plan').split(',') as ('infer' | 'plan')[];
const KEY = 'bench-key-0123456789abcdef';
const MODEL = 'fmnist-tiny';
const MODEL_DIR = join(ROOT, 'models', MODEL);
const log = (s: string): void => void process.stdout.write(`${s}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `node --cpu-prof` arguments for gateway `i` when BENCH_AB_CPU_PROF names a folder (A in A/, B in B/). */
function profArgs(i: number): string[] {
  const dir = process.env.BENCH_AB_CPU_PROF;
  return dir === undefined || dir === ''
    ? []
    : ['--cpu-prof', '--cpu-prof-dir', join(dir, 'AB'[i]!)];
}

async function main(): Promise<void> {
  const envs = [2, 3].map((i) => JSON.parse(process.argv[i] ?? '{}') as Record<string, string>);
  const redisUrl = await startRedis();
  const stub = await stubWorker();
  await startLoadMonitor(redisUrl, [stub.address]);
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
        [
          ...profArgs(i),
          ...tsx(env.BENCH_AB_GATEWAY_MAIN ?? 'services/gateway/src/main.ts', ['--config', config]),
        ],
        env,
        /"port":(\d+)[^\n]*"msg":"gateway listening"/,
      );
      return {
        name: 'AB'[i]!,
        pid: g.proc.child.pid!,
        env,
        url: `http://127.0.0.1:${g.match[1]!}`,
        http: new Client(`http://127.0.0.1:${g.match[1]!}`, { pipelining: 1 }),
      };
    }),
  );
  for (const g of gateways) {
    await waitForWorkerInView(g.url);
  }
  const inferBody = stubInferBody(MODEL);
  const plan = planBody(MODEL);
  const headers = routeHeaders(KEY);
  const block = async (
    g: (typeof gateways)[number],
    route: 'infer' | 'plan',
    n: number,
  ): Promise<number> => {
    const before = cpuUsOf(g.pid);
    for (let i = 0; i < n; i++) {
      const r =
        route === 'infer'
          ? await g.http.request({
              path: '/v1/infer',
              method: 'POST',
              headers: headers.infer,
              body: inferBody,
            })
          : await g.http.request({
              path: '/v1/plan',
              method: 'POST',
              headers: headers.plan,
              body: plan,
            });
      const bytes = Buffer.from(await r.body.arrayBuffer());
      if (r.statusCode !== 200)
        throw new Error(`${g.name} ${route}: ${String(r.statusCode)} ${bytes.toString()}`);
      if (route === 'infer' && i === 0) InferReply.decode(bytes);
    }
    return (cpuUsOf(g.pid) - before) / n;
  };
  for (const g of gateways) for (const route of ROUTES) await block(g, route, 500); // warm-up (JIT)
  if (process.env.BENCH_AB_STRACE === '1' && existsSync('/usr/bin/strace')) {
    // System calls per request (load-independent, unlike CPU time on a shared machine).
    for (const g of gateways) {
      for (const route of ROUTES) {
        const out = join(mkdtempSync(join(tmpdir(), 'bn-strace-')), 'strace.txt');
        const tracer = spawn('/usr/bin/strace', ['-c', '-f', '-o', out, '-p', String(g.pid)], {
          stdio: 'ignore',
        });
        await new Promise((res) => setTimeout(res, 1000)); // attached
        await block(g, route, 500);
        const exited = new Promise((res) => tracer.once('exit', res));
        tracer.kill('SIGINT');
        await exited;
        const text = readFileSync(out, 'utf8');
        const rows = text
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((f) => f.length >= 5 && /^[0-9.]+$/.test(f[0]!));
        const calls = (f: string[]): number => Number(f[3]);
        const per = rows
          .filter((f) => f[f.length - 1] !== 'total')
          .map((f) => `${f[f.length - 1]!}=${(calls(f) / 500).toFixed(2)}`)
          .join(' ');
        const total = rows.find((f) => f[f.length - 1] === 'total');
        log(
          `${g.name}/${route}: system calls per request ${total ? (calls(total) / 500).toFixed(2) : '?'} (${per})`,
        );
      }
    }
  }
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const route of ROUTES) {
      for (const g of order)
        (samples[`${g.name}/${route}`] ??= []).push(await block(g, route, BLOCK));
    }
  }
  log(
    `A=${JSON.stringify(envs[0])} B=${JSON.stringify(envs[1])}; ${String(ROUNDS)} rounds x ${String(BLOCK)} requests; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  for (const route of ROUTES) {
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
