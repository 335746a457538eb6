import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');

export interface WorkerProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGTERM, then resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the real worker service (services/cloud-worker/src/main.ts through tsx) on a free port with the
 * given WORKER_* environment, and resolves once it logs SERVING with its port.
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
  nodeArgs: readonly string[] = [],
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--conditions=source', '--import', 'tsx', 'services/cloud-worker/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        WORKER_GRPC_HOST: '127.0.0.1',
        WORKER_GRPC_PORT: '0',
        WORKER_METRICS_ENABLED: 'false',
        WORKER_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      // Never leave an orphan behind (it would hold CPU on a shared machine).
      child.kill('SIGKILL');
      reject(new Error(`worker did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; grpcPort?: number };
        if (rec.msg === 'worker SERVING' && typeof rec.grpcPort === 'number') {
          clearTimeout(timer);
          resolvePort(rec.grpcPort);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before SERVING: ${stderr}`));
    });
  });
  return {
    port,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
