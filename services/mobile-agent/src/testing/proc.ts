import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** A child process of the mesh with its recent output. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now (a crash). */
  kill(): Promise<void>;
}

/** A port the OS just handed out (for programs that need it up front: redis, gRPC addresses in a static list). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * `command args` run through `setpriv --pdeathsig TERM` when util-linux's setpriv is there: the kernel sends
 * the child SIGTERM when this process dies, even by SIGKILL, so a killed or crashed test run leaves no
 * services behind (a normal run stops them itself). setpriv execs the command: the pid stays the child's.
 */
export function orphanSafeCommand(
  command: string,
  args: readonly string[],
): [command: string, args: string[]] {
  return existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args]]
    : [command, [...args]];
}

export function spawnProc(
  name: string,
  command: string,
  args: readonly string[],
  o: { env?: Record<string, string>; cwd?: string; onLine?: (line: string) => void } = {},
): Proc {
  const child = spawn(...orphanSafeCommand(command, args), {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (d: Buffer): void => {
    const s = d.toString();
    out = (out + s).slice(-256 * 1024);
    if (o.onLine !== undefined) for (const l of s.split('\n')) if (l.trim() !== '') o.onLine(l);
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m !== null) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let done = false;
  void exited.then(() => (done = true));
  const proc: Proc = {
    name,
    child,
    exited,
    output: () => out,
    waitFor(re, timeoutMs) {
      const m = out.match(re);
      if (m !== null) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `${name}: no output matching ${String(re)} within ${timeoutMs} ms\n--- output ---\n${out.slice(-3000)}`,
              ),
            ),
          timeoutMs,
        );
        const w = { re, resolve: (mm: RegExpMatchArray) => (clearTimeout(t), resolve(mm)) };
        waiters.push(w);
        void exited.then((code) => {
          if (waiters.includes(w)) {
            clearTimeout(t);
            reject(
              new Error(
                `${name} exited (${String(code)}) before ${String(re)}\n--- output ---\n${out.slice(-3000)}`,
              ),
            );
          }
        });
      });
    },
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
    async kill() {
      if (done) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  return proc;
}
