import { Code, MeshError } from '@bottlenet/errors';
import type { Logger } from '../logger.js';
import { STABLE_AFTER_MS, backoffDelayMs, type BackoffOptions } from './backoff.js';
import { ComputeThread, type CrashKind, type ThreadRunResult } from './compute-thread.js';
import type { ThreadSessionOptions } from './messages.js';

/** Everything needed to open a session in a thread again after the thread died. */
export interface SessionSpec {
  readonly path: string;
  readonly options: ThreadSessionOptions;
  readonly inputName: string;
  readonly outputName: string;
  /** Per-sample input shape (no batch axis). */
  readonly shape: readonly number[];
  /** The shared batch input (`maxBatchSize` samples); the same buffer in every thread generation. */
  readonly input: SharedArrayBuffer;
  readonly maxBatchSize: number;
  /** Warm-up runs (at `maxBatchSize` and at 1) of a re-opened session before the thread takes work. */
  readonly warmupRuns: number;
}

/** A session opened through a {@link SupervisedThread}; its handle changes when the thread is replaced. */
export interface ThreadSession {
  readonly spec: SessionSpec;
}

interface SessionState extends ThreadSession {
  handle: number;
  released: boolean;
}

export type RestartResult = 'ok' | 'error';

export interface SupervisedThreadOptions {
  readonly backoff: BackoffOptions;
  readonly logger: Logger;
  /** Called whenever {@link SupervisedThread.ready} changes. */
  readonly onReadyChange?: () => void;
  /** Called after each restart attempt. */
  readonly onRestart?: (result: RestartResult) => void;
  /** A run stuck longer than this abandons the thread and replaces it (`onnx.computeRunTimeoutMs`; 0: never). */
  readonly runTimeoutMs?: number;
  /** Called with +1 when a thread is abandoned (stuck in a run) and -1 when it has finally exited. */
  readonly onAbandonedChange?: (delta: 1 | -1) => void;
}

/**
 * A compute thread that is replaced when it dies or when a session run in it is stuck past
 * `runTimeoutMs` (the stuck thread is abandoned, not terminated: it exits when its run returns). The calls in flight on the dead thread fail with
 * UNAVAILABLE (`compute_thread_failed`, naming the cause); while the replacement starts, runs fail at once
 * with UNAVAILABLE (`compute_thread_restarting`) and {@link ready} is false (the worker reports
 * NOT_SERVING). The replacement starts after a backoff (doubling per failed attempt, reset once a thread
 * stayed up {@link STABLE_AFTER_MS}), re-opens every session of the dead thread and warms each up, and
 * only then takes work.
 */
export class SupervisedThread {
  private current: ComputeThread;
  /** The restart attempt in progress (sessions opening and warming in a replacement), if any. */
  private restarting: Promise<void> | undefined;
  private readonly sessions = new Set<SessionState>();
  private isReady = true;
  private closed = false;
  private cause: Error | undefined;
  private attempt = 0;
  private readySince = performance.now();
  private restartAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly options: SupervisedThreadOptions,
  ) {
    this.current = this.spawn();
  }

  /** True while the current thread is up with every session open and warm. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Why the thread does not take work, or undefined when it does. */
  get notReadyReason(): string | undefined {
    if (this.isReady) return undefined;
    return `compute thread ${this.name} is restarting after it died (${this.cause?.message ?? 'unknown cause'})`;
  }

  /** Milliseconds until the next restart attempt is expected to be ready (a retry hint, at least 1). */
  retryAfterMs(): number {
    return Math.max(1, Math.ceil(this.restartAt - performance.now()) + 100);
  }

  /** Opens a session in the current thread; UNAVAILABLE while the thread is restarting. */
  async open(spec: SessionSpec): Promise<ThreadSession> {
    if (!this.isReady) throw this.restartingError();
    const handle = await this.current.open(spec.path, spec.options, spec);
    const s: SessionState = { spec, handle, released: false };
    this.sessions.add(s);
    return s;
  }

  /** Runs the first `n` samples of the session's shared input. */
  run(session: ThreadSession, n: number): Promise<ThreadRunResult> {
    if (!this.isReady) return Promise.reject(this.restartingError());
    return this.current.run((session as SessionState).handle, n);
  }

  async release(session: ThreadSession): Promise<void> {
    const s = session as SessionState;
    if (s.released) return;
    s.released = true;
    this.sessions.delete(s);
    if (!this.isReady || !this.current.alive) return;
    try {
      await this.current.release(s.handle);
    } catch (e) {
      // The thread died meanwhile: its sessions are gone with it.
      if (!(e instanceof MeshError && e.type === 'compute_thread_failed')) throw e;
    }
  }

  /**
   * Stops restarting and terminates the thread (after every session was released). A replacement being
   * prepared is let finish its current open or warm-up run and then stopped: terminating a thread inside
   * an onnxruntime-node session run can abort the whole process (the binding throws a C++ exception while
   * the thread's environment is torn down), so no thread is ever terminated with a call in flight.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([this.current.terminate(), this.restarting]);
  }

  /** Test hook: kills the current thread as a fault would, now or at its next run. */
  crashForTest(how: CrashKind, atNextRun = false): void {
    this.current.crashForTest(how, atNextRun);
  }

  /** Test hook: the current thread's next run blocks it for `ms` first (stuck, as far as the watchdog can tell). */
  hangForTest(ms: number): void {
    this.current.hangForTest(ms);
  }

  private spawn(): ComputeThread {
    const t: ComputeThread = new ComputeThread(this.name, {
      onDeath: (cause, pending) => this.onDeath(t, cause, pending),
      retryAfterMs: () => this.retryAfterMs(),
      runTimeoutMs: this.options.runTimeoutMs,
      // Counted here, not in onDeath: a replacement can be abandoned while it warms up, before it is current.
      onAbandoned: () => this.options.onAbandonedChange?.(1),
      onAbandonedExit: () => {
        this.options.onAbandonedChange?.(-1);
        this.options.logger.warn(
          { thread: this.name },
          `abandoned compute thread ${this.name}: its stuck run returned and the thread exited`,
        );
      },
    });
    return t;
  }

  private onDeath(t: ComputeThread, cause: Error, pending: number): void {
    // A replacement that dies while being prepared fails its restart attempt instead.
    if (t !== this.current || this.closed) return;
    if (performance.now() - this.readySince >= STABLE_AFTER_MS) this.attempt = 0;
    this.cause = cause;
    this.isReady = false;
    const delayMs = this.schedule();
    this.options.logger.error(
      { thread: this.name, cause: cause.message, inFlightRuns: pending, restartInMs: delayMs },
      `compute thread ${this.name} died (${cause.message}); its runs in flight fail with UNAVAILABLE, the worker reports NOT_SERVING until a replacement is ready`,
    );
    this.options.onReadyChange?.();
  }

  /** Arms the next restart attempt; returns its delay. */
  private schedule(): number {
    const delayMs = backoffDelayMs(this.attempt, this.options.backoff);
    this.restartAt = performance.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    }, delayMs);
    return delayMs;
  }

  private async restart(): Promise<void> {
    if (this.closed) return;
    this.attempt++;
    const started = performance.now();
    const t = this.spawn();
    const stillWanted = (): void => {
      if (this.closed) throw new Error('the worker is shutting down');
    };
    let reopened = 0;
    try {
      for (const s of [...this.sessions]) {
        const { spec } = s;
        stillWanted();
        const handle = await t.open(spec.path, spec.options, spec);
        // Warm-up reads whatever the shared input holds; its results are thrown away.
        for (let r = 0; r < spec.warmupRuns; r++) {
          stillWanted();
          await t.run(handle, spec.maxBatchSize);
          await t.run(handle, 1);
        }
        if (s.released) await t.release(handle);
        else s.handle = handle;
        reopened++;
      }
      stillWanted();
    } catch (e) {
      // Nothing is in flight on `t` here (every call above was awaited), so terminating it is safe.
      await t.terminate();
      if (this.closed) return;
      this.options.onRestart?.('error');
      const delayMs = this.schedule();
      this.options.logger.error(
        { thread: this.name, attempt: this.attempt, err: e, retryInMs: delayMs },
        `compute thread ${this.name}: restart attempt ${this.attempt} failed (${(e as Error).message}); retrying in ${delayMs} ms`,
      );
      return;
    }
    this.current = t;
    this.isReady = true;
    this.readySince = performance.now();
    this.options.onRestart?.('ok');
    this.options.logger.warn(
      {
        thread: this.name,
        attempt: this.attempt,
        sessions: reopened,
        ms: Math.round(performance.now() - started),
        after: this.cause?.message,
      },
      `compute thread ${this.name} restarted: ${reopened} sessions re-opened and warm, taking work again`,
    );
    this.options.onReadyChange?.();
  }

  private restartingError(): MeshError {
    return new MeshError(Code.Unavailable, this.notReadyReason ?? 'compute thread not ready', {
      type: 'compute_thread_restarting',
      details: { retryAfterMs: this.retryAfterMs() },
    });
  }
}
