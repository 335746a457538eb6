import { Worker } from 'node:worker_threads';
import { Code, MeshError } from '@bottlenet/errors';
import {
  CONTROL_ABANDONED,
  CONTROL_SLOTS,
  type FromThread,
  type ThreadSessionOptions,
  type ToThread,
} from './messages.js';

/** The thread's entry next to this file: `.ts` when running from sources (tsx), `.js` from dist. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(
  FROM_SOURCE ? './compute-thread-main.ts' : './compute-thread-main.js',
  import.meta.url,
);

/**
 * Node 20 does not apply the parent's `--import tsx` hooks to a worker's entry file, so from sources the
 * thread first registers tsx itself, then imports the TypeScript entry.
 */
function startThread(name: string, control: SharedArrayBuffer): Worker {
  const workerData = { control };
  if (!FROM_SOURCE) return new Worker(ENTRY, { name, workerData });
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); });`;
  return new Worker(bootstrap, { name, eval: true, workerData });
}

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = Distribute<ToThread>;

interface Waiter {
  readonly resolve: (m: FromThread) => void;
  readonly reject: (e: Error) => void;
  /** `run` calls: when it was posted (the watchdog's clock starts at this or the last reply, the later). */
  readonly runPostedAt?: number;
}

/** What one run returns: the batch's logits and the session run's own duration inside the thread. */
export interface ThreadRunResult {
  readonly logits: Float32Array;
  readonly computeMs: number;
}

/**
 * How a thread can be made to die in tests: from inside (`exit`, `throw`) or from the JS thread
 * (`terminate`, only while no call is in flight: see {@link ComputeThread.terminate}).
 */
export type CrashKind = 'exit' | 'throw' | 'terminate';

export interface ComputeThreadOptions {
  /**
   * Called once when the thread dies without having been stopped through {@link ComputeThread.terminate},
   * before the calls still pending on it are rejected. `cause` says why (the uncaught error, the exit
   * code); `pending` is how many calls were waiting for it.
   */
  readonly onDeath?: (cause: Error, pending: number) => void;
  /** Retry hint put on the errors of calls that die with the thread, milliseconds. */
  readonly retryAfterMs?: () => number;
  /**
   * Watchdog: a session run that has not returned after this many milliseconds counts as stuck. The thread
   * is then abandoned (see {@link ComputeThread.abandoned}) and reported through `onDeath`. 0 turns it off.
   */
  readonly runTimeoutMs?: number;
  /** Called once when the thread is abandoned (before `onDeath`), and once when it has finally exited. */
  readonly onAbandoned?: () => void;
  readonly onAbandonedExit?: () => void;
}

/**
 * One node:worker_threads thread that owns onnxruntime sessions and runs them off the worker's JS thread
 * (onnxruntime-node runs a session synchronously on the calling thread). Batch inputs travel through a
 * SharedArrayBuffer per session; logits come back in the reply message. If the thread dies, every pending
 * and later call fails with UNAVAILABLE (`compute_thread_failed`) naming the cause; replacing the thread
 * is {@link SupervisedThread}'s job.
 */
export class ComputeThread {
  private readonly thread: Worker;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private dead: MeshError | undefined;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly control = new Int32Array(
    new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT),
  );
  private isAbandoned = false;
  private lastReplyAt = performance.now();
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly options: ComputeThreadOptions = {},
  ) {
    this.thread = startThread(name, this.control.buffer);
    // The gRPC server keeps the process alive; an idle compute thread must not.
    this.thread.unref();
    const runTimeoutMs = options.runTimeoutMs ?? 0;
    if (runTimeoutMs > 0) {
      // One timer per thread, not one per run: the hot path only stamps the time a run was posted.
      this.watchdog = setInterval(
        () => this.checkStuck(runTimeoutMs),
        Math.min(1000, Math.max(10, runTimeoutMs / 4)),
      );
      this.watchdog.unref();
    }
    this.thread.on('message', (m: FromThread) => {
      if (this.watchdog !== undefined) this.lastReplyAt = performance.now();
      const w = this.waiters.get(m.id);
      if (w === undefined) return;
      this.waiters.delete(m.id);
      if (m.kind === 'failed') w.reject(new Error(m.message));
      else w.resolve(m);
      if (this.waiters.size === 0 && this.idleWaiters.length > 0) {
        for (const r of this.idleWaiters.splice(0)) r();
      }
    });
    // An uncaught error (or running out of memory: ERR_WORKER_OUT_OF_MEMORY) comes first, then `exit`.
    this.thread.on('error', (e) => this.fail(`uncaught error in the thread: ${e.message}`, e));
    this.thread.on('exit', (code) => {
      clearInterval(this.watchdog);
      if (this.isAbandoned) this.options.onAbandonedExit?.();
      this.fail(`the thread exited with code ${code}`);
    });
  }

  /**
   * True once a run outlived `runTimeoutMs`: the thread's calls failed, it takes no more work, and it exits
   * by itself when the stuck run returns. It is never terminated from outside: terminating a thread inside
   * an onnxruntime-node session run can abort the whole process (see {@link terminate}).
   */
  get abandoned(): boolean {
    return this.isAbandoned;
  }

  /** False once the thread has died or was stopped. */
  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Calls waiting for the thread's answer. */
  get pending(): number {
    return this.waiters.size;
  }

  /** Opens `path` in the thread; resolves with the handle of the session. */
  async open(
    path: string,
    options: ThreadSessionOptions,
    io: {
      inputName: string;
      outputName: string;
      shape: readonly number[];
      input: SharedArrayBuffer;
    },
  ): Promise<number> {
    const m = await this.call({ kind: 'open', path, options, ...io });
    if (m.kind !== 'opened') throw new Error(`unexpected reply ${m.kind} to open`);
    return m.handle;
  }

  /** Runs the first `n` samples of the session's shared input. */
  async run(handle: number, n: number): Promise<ThreadRunResult> {
    // Stamped only for the watchdog: without it the run path reads no clock.
    const postedAt = this.watchdog === undefined ? undefined : performance.now();
    const m = await this.call({ kind: 'run', handle, n }, postedAt);
    if (m.kind !== 'done') throw new Error(`unexpected reply ${m.kind} to run`);
    return { logits: m.logits, computeMs: m.computeMs };
  }

  async release(handle: number): Promise<void> {
    if (this.dead !== undefined) return;
    await this.call({ kind: 'release', handle });
  }

  /**
   * Stops the thread on purpose (after every session was released); no death is reported. Calls still in
   * flight (a drain that timed out) are waited for, up to `graceMs`: terminating a thread inside an
   * onnxruntime-node session run can abort the whole process (the binding throws a C++ exception while
   * the thread's environment is torn down; the same is reported of other N-API addons).
   */
  async terminate(graceMs = 5000): Promise<void> {
    clearInterval(this.watchdog);
    // An abandoned thread is inside a run it may never return from: it exits by itself when it does.
    if (this.isAbandoned) return;
    if (this.waiters.size > 0 && this.dead === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    this.stopping = true;
    this.dead ??= new MeshError(Code.Unavailable, `compute thread ${this.name} was stopped`, {
      type: 'compute_thread_failed',
    });
    await this.thread.terminate();
  }

  /**
   * Test hook: kills the thread as a fault would (see {@link CrashKind}), now or when the next run is
   * sent (that run is then in flight when the thread dies).
   */
  crashForTest(how: CrashKind, atNextRun = false): void {
    if (how !== 'terminate') {
      this.thread.postMessage({ kind: 'crash', id: 0, how, atNextRun } satisfies ToThread);
      return;
    }
    // Terminating inside a session run can abort the whole process (see terminate()).
    if (atNextRun || this.waiters.size > 0)
      throw new Error('terminating a compute thread with a call in flight is not safe');
    void this.thread.terminate();
  }

  /** Test hook: the next run blocks the thread for `ms` before it runs (a stuck run, as far as the watchdog can tell). */
  hangForTest(ms: number): void {
    this.thread.postMessage({ kind: 'hang', id: 0, ms } satisfies ToThread);
  }

  private call(req: Request, runPostedAt?: number): Promise<FromThread> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<FromThread>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject, runPostedAt });
      this.thread.postMessage({ ...req, id });
    });
  }

  /**
   * The thread answers its calls one at a time, so a run pending for longer than `runTimeoutMs` counted from
   * when it was posted or from the thread's last answer (whichever is later) is the one running, stuck.
   */
  private checkStuck(runTimeoutMs: number): void {
    if (this.dead !== undefined) return;
    const now = performance.now();
    for (const w of this.waiters.values()) {
      if (w.runPostedAt === undefined) continue;
      const runningMs = now - Math.max(w.runPostedAt, this.lastReplyAt);
      if (runningMs > runTimeoutMs) {
        this.abandon(runningMs, runTimeoutMs);
        return;
      }
    }
  }

  private abandon(runningMs: number, runTimeoutMs: number): void {
    clearInterval(this.watchdog);
    this.isAbandoned = true;
    Atomics.store(this.control, CONTROL_ABANDONED, 1);
    this.options.onAbandoned?.();
    this.fail(
      `a session run has not returned for ${Math.round(runningMs)} ms (onnx.computeRunTimeoutMs ${runTimeoutMs}); the thread is abandoned and exits when the run returns`,
    );
  }

  private fail(cause: string, error?: Error): void {
    if (this.dead === undefined) {
      const e = error ?? new Error(cause);
      if (!this.stopping) this.options.onDeath?.(new Error(cause, { cause: e }), this.waiters.size);
      const retryAfterMs = this.options.retryAfterMs?.();
      this.dead = new MeshError(
        Code.Unavailable,
        `compute thread ${this.name} died (${cause}); it is being restarted`,
        {
          cause: e,
          type: 'compute_thread_failed',
          details: retryAfterMs === undefined ? {} : { retryAfterMs },
        },
      );
    }
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of waiters) w.reject(this.dead);
  }
}
