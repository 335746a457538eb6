import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The k6 binary: `$K6_BIN`, else loadtest/build-k6.sh (cached per machine; builds from the Go module proxy when the cache is empty). */
export function k6Binary(repoRoot: string): string {
  const r = spawnSync('bash', [join(repoRoot, 'loadtest/build-k6.sh')], {
    encoding: 'utf8',
    env: process.env,
  });
  if (r.status !== 0)
    throw new Error(`loadtest/build-k6.sh failed (${String(r.status)}): ${r.stderr.slice(-2000)}`);
  return r.stdout.trim().split('\n').pop()!;
}

export interface K6Run {
  readonly name: string;
  /** Resolves with k6's exit code (99: a threshold was crossed). */
  readonly exited: Promise<number | null>;
  kill(): void;
}

/** Runs `k6 run` at niceness `nice` (default 0), output to a log file. */
export function runK6(o: {
  k6: string;
  name: string;
  script: string;
  env: Record<string, string>;
  summaryFile: string;
  logFile: string;
  cwd: string;
  nice?: number;
  /** `taskset -c` list to run k6 on (e.g. the cloud tier's CPUs); default any CPU. */
  cpus?: string;
}): K6Run {
  const args = [
    '-n',
    String(o.nice ?? 0),
    o.k6,
    'run',
    '--quiet',
    '--no-color',
    '--summary-export',
    o.summaryFile,
  ];
  for (const [k, v] of Object.entries(o.env)) args.push('-e', `${k}=${v}`);
  args.push(o.script);
  const fd = openSync(o.logFile, 'w');
  const [command, argv] =
    o.cpus === undefined ? ['nice', args] : ['taskset', ['-c', o.cpus, 'nice', ...args]];
  const child = spawn(command, argv, { cwd: o.cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { name: o.name, exited, kill: () => child.kill('SIGTERM') };
}

/** The numbers we use from a `--summary-export` file (k6's legacy summary JSON). */
export interface K6Summary {
  readonly requests: number;
  readonly ratePerSecond: number;
  readonly failedRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly lost: number;
  readonly thresholdsCrossed: string[];
}

// thresholds: `{expr: {ok}}` in newer k6, `{expr: crossed}` in the legacy export
type Metric = Record<string, number | Record<string, { ok: boolean } | boolean> | undefined>;

/** Reads a summary export; `kind` picks HTTP (`http_req_*{endpoint:infer}`) or gRPC (`grpc_req_*`) names. */
export function readK6Summary(file: string, kind: 'http' | 'grpc'): K6Summary {
  const j = JSON.parse(readFileSync(file, 'utf8')) as {
    metrics: Record<string, Metric | undefined>;
  };
  const m = j.metrics;
  // k6 counts gRPC calls only as iterations (one Infer per iteration in worker-grpc.js)
  const reqs = kind === 'http' ? m['http_reqs'] : m['iterations'];
  const dur =
    kind === 'http'
      ? (m['http_req_duration{endpoint:infer}'] ?? m['http_req_duration'])
      : m['grpc_req_duration'];
  const failed = kind === 'http' ? m['http_req_failed'] : m['grpc_req_failed'];
  const num = (x: Metric | undefined, k: string): number =>
    typeof x?.[k] === 'number' ? x[k] : Number.NaN;
  const crossed: string[] = [];
  for (const [name, metric] of Object.entries(m)) {
    const th = metric?.['thresholds'];
    if (typeof th === 'object') {
      for (const [expr, v] of Object.entries(th))
        if (typeof v === 'boolean' ? v : !v.ok) crossed.push(`${name}: ${expr}`);
    }
  }
  return {
    requests: num(reqs, 'count'),
    ratePerSecond: num(reqs, 'rate'),
    failedRate: num(failed, 'value'),
    p50Ms: num(dur, 'med'),
    p95Ms: num(dur, 'p(95)'),
    lost: m['lost'] === undefined ? 0 : num(m['lost'], 'count'),
    thresholdsCrossed: crossed,
  };
}
