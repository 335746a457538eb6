import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { orphanSafeCommand } from '@bottlenet/mobile-agent';

/** How the harness knows a started process is ready. */
export type ReadyCheck =
  /** A line of stdout or stderr matches; the match is returned as `readyMatch`. */
  | { output: RegExp }
  /** An HTTP GET answers 2xx (polled every 50 ms). */
  | { http: string }
  /** Any custom probe; polled every 50 ms until it resolves true. */
  | { probe: () => Promise<boolean> };

export interface StartProcessOptions {
  /** Shown in errors and in the leak check. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Merged over the parent's environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** @default none: the process counts as ready once spawned */
  ready?: ReadyCheck;
  /** @default 30000 */
  readyTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process started by the harness; every one is tracked until it has exited. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The ready check's match when it was `{ output }`. */
  readonly readyMatch: RegExpMatchArray | undefined;
  /** Resolves once the process has exited. */
  readonly exited: Promise<ExitStatus>;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Everything it wrote to stdout and stderr so far (last 1 MiB). */
  output(): string;
  /** Waits for a line of output (already written or future) that matches. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10000); resolves with the exit status. */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** SIGKILL at once (a crash, as far as the others can tell). */
  kill(): Promise<ExitStatus>;
}

const live = new Set<ManagedProcess>();
const OUTPUT_CAP = 1 << 20;

/** Starts a process and waits until its ready check passes; on failure it is killed and the error shows its output. */
export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  const child = spawn(...orphanSafeCommand(options.command, options.args ?? []), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const managed = manage(child, options.name);
  try {
    await waitReady(managed, options);
  } catch (err) {
    await managed.kill();
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${options.name}: ${msg}\n--- output ---\n${managed.output().slice(-4000)}`, {
      cause: err,
    });
  }
  return managed;
}

/** Node with tsx and the `source` condition, so a service runs from its TypeScript sources. */
export function tsNodeArgs(entry: string, args: readonly string[] = []): string[] {
  return ['--conditions=source', '--import', 'tsx', entry, ...args];
}

/** The repository root (for `cwd` and for paths of service entry points). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Processes started by the harness that have not exited yet. */
export function runningProcesses(): ManagedProcess[] {
  return [...live].filter((p) => p.running);
}

/** Stops every process the harness started (SIGTERM, then SIGKILL). */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all(runningProcesses().map((p) => p.stop(graceMs)));
}

/** Throws when a process started by the harness is still running; for `after()` hooks. */
export function assertNoneRunning(): void {
  const left = runningProcesses();
  if (left.length > 0) {
    throw new Error(
      `processes left running: ${left.map((p) => `${p.name} (pid ${String(p.pid)})`).join(', ')}`,
    );
  }
}

function manage(
  child: ChildProcess,
  name: string,
): ManagedProcess & { matchReady(m: RegExpMatchArray): void } {
  if (child.pid === undefined) {
    throw new Error(`${name}: spawn failed`);
  }
  const pid = child.pid;
  let out = '';
  let running = true;
  let readyMatch: RegExpMatchArray | undefined;
  const watchers = new Set<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }>();
  const onData = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    if (out.length > OUTPUT_CAP) out = out.slice(-OUTPUT_CAP);
    for (const w of watchers) {
      const m = w.re.exec(out);
      if (m) {
        watchers.delete(w);
        w.resolve(m);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    child.once('error', () => {
      running = false;
      resolve({ code: null, signal: null });
    });
  });
  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<ExitStatus> => {
    if (running) child.kill(signal);
    const timer = setTimeout(() => {
      if (running) child.kill('SIGKILL');
    }, graceMs);
    const status = await exited;
    clearTimeout(timer);
    live.delete(managed);
    return status;
  };
  const managed = {
    name,
    pid,
    get readyMatch() {
      return readyMatch;
    },
    matchReady(m: RegExpMatchArray) {
      readyMatch = m;
    },
    exited,
    get running() {
      return running;
    },
    output: () => out,
    waitForOutput(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
      const now = re.exec(out);
      if (now) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        const w = {
          re,
          resolve: (m: RegExpMatchArray) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          watchers.delete(w);
          reject(
            new Error(`${name}: no output matching ${String(re)} within ${String(timeoutMs)} ms`),
          );
        }, timeoutMs);
        timer.unref(); // a process that exits first must not keep the test runner waiting
        watchers.add(w);
      });
    },
    stop: (graceMs = 10_000) => signalAndWait('SIGTERM', graceMs),
    kill: () => signalAndWait('SIGKILL', 0),
  };
  live.add(managed);
  return managed;
}

async function waitReady(
  managed: ReturnType<typeof manage>,
  options: StartProcessOptions,
): Promise<void> {
  const check = options.ready;
  if (check === undefined) return;
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const exitedEarly = managed.exited.then((s) => {
    throw new Error(`exited before ready (code ${String(s.code)}, signal ${String(s.signal)})`);
  });
  exitedEarly.catch(() => undefined); // the race below reports it; a later normal exit must not be unhandled
  if ('output' in check) {
    const m = await Promise.race([managed.waitForOutput(check.output, timeoutMs), exitedEarly]);
    managed.matchReady(m);
    return;
  }
  const probe =
    'http' in check
      ? async () => {
          try {
            const res = await fetch(check.http, { signal: AbortSignal.timeout(1000) });
            await res.arrayBuffer();
            return res.ok;
          } catch {
            return false;
          }
        }
      : check.probe;
  const deadline = Date.now() + timeoutMs;
  const poll = async (): Promise<void> => {
    while (Date.now() < deadline) {
      if (!managed.running) throw new Error('exited before ready');
      if (await probe()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`not ready within ${String(timeoutMs)} ms`);
  };
  await Promise.race([poll(), exitedEarly]);
}
