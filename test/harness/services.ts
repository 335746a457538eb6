import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, startProcess, tsNodeArgs, type ManagedProcess } from './process.js';

/** A mesh service started from its TypeScript sources as a real child process. */
export interface ServiceHandle {
  readonly process: ManagedProcess;
  /** The port it reported (HTTP for gateway and monitor, gRPC for a worker). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` (gateway, monitor) or `127.0.0.1:<port>` (worker). */
  readonly url: string;
}

function writeConfig(name: string, config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), `bn-${name}-`));
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** services/load-monitor with `config` (http.port forced to 0); ready when it logs its port. */
export async function startLoadMonitor(
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<ServiceHandle> {
  const file = writeConfig('load-monitor', { ...config, http: { host: '127.0.0.1', port: 0 } });
  const proc = await startProcess({
    name: 'load-monitor',
    command: process.execPath,
    args: tsNodeArgs('services/load-monitor/src/main.ts', ['--config', file]),
    cwd: repoRoot,
    env,
    ready: { output: /"port":(\d+)[^\n]*"msg":"load monitor listening"/ },
  });
  const port = Number(proc.readyMatch?.[1]);
  return { process: proc, port, url: `http://127.0.0.1:${String(port)}` };
}

/** services/gateway with `config` (listen port forced to 0); ready when it logs its port. */
export async function startGateway(
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<ServiceHandle> {
  const file = writeConfig('gateway', { ...config, listen: { host: '127.0.0.1', port: 0 } });
  const proc = await startProcess({
    name: 'gateway',
    command: process.execPath,
    args: tsNodeArgs('services/gateway/src/main.ts', ['--config', file]),
    cwd: repoRoot,
    env,
    ready: { output: /"port":(\d+)[^\n]*"msg":"gateway listening"/ },
  });
  const port = Number(proc.readyMatch?.[1]);
  return { process: proc, port, url: `http://127.0.0.1:${String(port)}` };
}

/** The shipped tiny model repository the real worker serves in tests. */
export const TINY_MODEL_DIR = join(repoRoot, 'models', 'fmnist-tiny');

/** Why tests with a real cloud worker must be skipped, or undefined. */
export function cloudWorkerSkipReason(): string | undefined {
  if (!existsSync(join(repoRoot, 'services/cloud-worker/src/main.ts')))
    return 'services/cloud-worker/src/main.ts is not there';
  if (!existsSync(join(TINY_MODEL_DIR, 'manifest.json')))
    return `no model repository at ${TINY_MODEL_DIR}`;
  return undefined;
}

/** services/cloud-worker on a free gRPC port serving `models`; ready when it logs SERVING. */
export async function startCloudWorker(options: {
  workerId: string;
  models?: string[];
  env?: Record<string, string>;
}): Promise<ServiceHandle> {
  const proc = await startProcess({
    name: `cloud-worker:${options.workerId}`,
    command: process.execPath,
    args: tsNodeArgs('services/cloud-worker/src/main.ts'),
    cwd: repoRoot,
    env: {
      WORKER_ID: options.workerId,
      WORKER_MODELS: (options.models ?? [TINY_MODEL_DIR]).join(','),
      WORKER_GRPC_HOST: '127.0.0.1',
      WORKER_GRPC_PORT: '0',
      WORKER_METRICS_ENABLED: 'false',
      WORKER_INTRA_OP_THREADS: '1',
      WORKER_WARMUP_RUNS: '1',
      WORKER_DRAIN_TIMEOUT_MS: '2000',
      ...options.env,
    },
    ready: { output: /"grpcPort":(\d+)[^\n]*"msg":"worker SERVING"/ },
    readyTimeoutMs: 60_000,
  });
  const port = Number(proc.readyMatch?.[1]);
  return { process: proc, port, url: `127.0.0.1:${String(port)}` };
}
