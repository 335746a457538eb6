import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { redisServerPath } from './gates.js';
import { startProcess, type ExitStatus, type ManagedProcess } from './process.js';

export interface StartRedisOptions {
  /** @default a free port */
  port?: number;
  /** @default 30000 */
  readyTimeoutMs?: number;
}

/** A real redis-server on 127.0.0.1 with persistence off, in a temporary directory. */
export interface RedisHandle {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The current server process (a new one after `restart()`). */
  readonly process: ManagedProcess;
  /** SIGKILL: clients see the connection drop, as in a crash. */
  kill(): Promise<ExitStatus>;
  /** Starts a fresh server on the same port (empty: persistence is off). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

const READY = /Ready to accept connections/;

/** Starts redis-server on a free port; retries on a port race with another process. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'bn-redis-'));
  let port = options.port ?? (await freePort());
  let proc: ManagedProcess | undefined;
  for (let attempt = 0; proc === undefined; attempt++) {
    try {
      proc = await spawnRedis(port, dir, options.readyTimeoutMs);
    } catch (err) {
      const inUse = err instanceof Error && /in use/i.test(err.message);
      if (!inUse || options.port !== undefined || attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
    }
  }
  let current: ManagedProcess = proc;
  return {
    port,
    url: `redis://127.0.0.1:${String(port)}`,
    get process() {
      return current;
    },
    kill: () => current.kill(),
    async restart() {
      if (current.running) await current.stop();
      current = await spawnRedis(port, dir, options.readyTimeoutMs);
    },
    async stop() {
      if (current.running) await current.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function spawnRedis(port: number, dir: string, readyTimeoutMs = 30_000): Promise<ManagedProcess> {
  return startProcess({
    name: `redis-server:${String(port)}`,
    command: redisServerPath(),
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'no',
      '--loglevel',
      'notice',
    ],
    ready: { output: READY },
    readyTimeoutMs,
  });
}
