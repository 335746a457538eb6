import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');

/** A child process of the bench, stopped by SIGTERM (SIGKILL after 5 s). */
export interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const children: Child[] = [];

/** Starts `command args` and resolves with the first stdout/stderr match of `ready`. */
export async function start(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<{ proc: Child; match: RegExpMatchArray }> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: Child = {
    name,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  children.push(proc);
  const match = await new Promise<RegExpMatchArray>((resolveMatch, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready in ${String(timeoutMs)} ms:\n${out.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveMatch(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`${name} exited before ready:\n${out.slice(-2000)}`)));
  });
  return { proc, match };
}

/** Stops every child the bench started. */
export async function stopAll(): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
}

export function tsx(entry: string, args: string[] = []): string[] {
  return ['--conditions=source', '--import', 'tsx', entry, ...args];
}

export function writeJson(name: string, value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), `bn-bench-${name}-`)), `${name}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => res(p));
    });
  });
}

/** A throwaway redis-server on a free loopback port (no persistence); resolves with its URL. */
export async function startRedis(): Promise<string> {
  const port = await freePort();
  await start(
    'redis',
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
    /Ready to accept connections/,
  );
  return `redis://127.0.0.1:${String(port)}`;
}

/**
 * CPU time a process has used so far, all its threads (libuv pool, GC helpers) together, in
 * microseconds: the sum of `/proc/<pid>/task/<tid>/schedstat` (nanosecond run time, so a block of a few
 * hundred requests is measured without the 10 ms tick of `/proc/<pid>/stat`, and without a request to
 * the process). Linux only.
 */
export function cpuUsOf(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${String(pid)}/task`)) {
    try {
      ns += Number(
        readFileSync(`/proc/${String(pid)}/task/${tid}/schedstat`, 'utf8').split(' ')[0],
      );
    } catch {
      // the thread ended in between
    }
  }
  return ns / 1000;
}

/** The load monitor polling `workers`, publishing to `redisUrl`. */
export async function startLoadMonitor(redisUrl: string, workers: string[]): Promise<Child> {
  const m = await start(
    'load-monitor',
    process.execPath,
    tsx('services/load-monitor/src/main.ts', [
      '--config',
      writeJson('monitor', {
        redis: { url: redisUrl },
        discovery: { static: workers },
        http: { host: '127.0.0.1', port: 0 },
      }),
    ]),
    {},
    /"msg":"load monitor listening"/,
  );
  return m.proc;
}

/** Resolves once the gateway at `url` reports a worker in its view (it routes nothing before). */
export async function waitForWorkerInView(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    const r = (await (await fetch(`${url}/readyz`)).json()) as { workers: number };
    if (r.workers >= 1) return;
    if (i > 200) throw new Error(`the gateway at ${url} never saw a worker`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
