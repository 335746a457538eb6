// k6 congesting the cloud tier: the gateway's /v1/infer over HTTP and the workers' Infer over gRPC,
// both with the real request files, ramping to their full rate and holding it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestFile } from '../requests/requests.js';
import { readK6Summary, runK6, type K6Run } from '../lib/k6.js';
import type { CongestionOptions } from './options.js';
import { k6ErrorLines, type K6Result } from './summary.js';

export const K6_SCRIPTS = ['gateway', 'grpc'] as const;
export type K6Script = (typeof K6_SCRIPTS)[number];

export interface CloudLoadTarget {
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly workerAddresses: readonly string[];
}

/** Starts both k6 scripts (gateway first, then gRPC); their summaries and logs go to `out/k6-<name>.{json,log}`. */
export function startCloudLoad(o: {
  k6: string;
  repoRoot: string;
  out: string;
  target: CloudLoadTarget;
  requests: readonly RequestFile[];
  options: Pick<CongestionOptions, 'ramp' | 'hold' | 'httpRate' | 'grpcRate'>;
  /** Run k6 on these CPUs (the cloud tier's), so that generating the load takes the cloud's CPU time. */
  cpus?: string;
}): K6Run[] {
  const files = (c: (cand: string) => boolean, ext: 'bin' | 'json'): string =>
    o.requests
      .filter((r) => c(r.candidate))
      .map((r) => r[ext])
      .join(',');
  // requests carry a 5 s budget (the gateway answers 504, a worker DEADLINE_EXCEEDED, when it runs out);
  // k6 waits longer, so a request without any answer within 20 s counts as lost
  const common = {
    HTTP_TIMEOUT: '20s',
    GRPC_TIMEOUT: '20s',
    SCENARIO: 'congestion',
    RAMP: `${o.options.ramp}s`,
    DURATION: `${o.options.hold}s`,
    INFER_P95_MS: '5000',
    MAX_ERROR_RATE: '0.05',
    MAX_LOST: '0',
  };
  const run = (name: K6Script, script: string, env: Record<string, string>): K6Run =>
    runK6({
      k6: o.k6,
      name,
      cwd: o.repoRoot,
      script: join(o.repoRoot, script),
      env: { ...common, ...env },
      summaryFile: join(o.out, `k6-${name}.json`),
      logFile: join(o.out, `k6-${name}.log`),
      ...(o.cpus === undefined ? {} : { cpus: o.cpus }),
    });
  return [
    run('gateway', 'loadtest/k6/gateway.js', {
      GATEWAY_URL: o.target.gatewayUrl,
      API_KEY: o.target.apiKey,
      PLAN: '0',
      RATE: String(o.options.httpRate),
      INFER_BODIES: files(() => true, 'bin'),
    }),
    run('grpc', 'loadtest/k6/worker-grpc.js', {
      WORKERS: o.target.workerAddresses.join(','),
      PROTO_DIR: join(o.repoRoot, 'packages/protocol/proto'),
      RATE: String(o.options.grpcRate),
      REQUESTS: files((c) => c !== 'cloud', 'json'),
    }),
  ];
}

/**
 * Throws with the end of k6's log unless each script exited 0 (every threshold held) or 99 (a
 * threshold was crossed, which the summary reports); anything else means k6 itself failed.
 */
export function assertK6Ran(out: string, codes: readonly (number | null)[]): void {
  for (const [i, name] of K6_SCRIPTS.entries()) {
    if (codes[i] !== 0 && codes[i] !== 99)
      throw new Error(
        `k6 ${name} exited ${String(codes[i])}:\n${readFileSync(join(out, `k6-${name}.log`), 'utf8').slice(-3000)}`,
      );
  }
}

/** Each script's summary export, exit code and distinct logged errors. */
export function readCloudLoadResults(
  out: string,
  codes: readonly (number | null)[],
): Record<K6Script, K6Result> {
  const result = (name: K6Script, kind: 'http' | 'grpc', code: number | null): K6Result => ({
    ...readK6Summary(join(out, `k6-${name}.json`), kind),
    exitCode: code,
    errors: k6ErrorLines(readFileSync(join(out, `k6-${name}.log`), 'utf8')),
  });
  return {
    gateway: result('gateway', 'http', codes[0]!),
    grpc: result('grpc', 'grpc', codes[1]!),
  };
}
