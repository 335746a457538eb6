import type { Logger } from '../logger.js';
import type { BackoffOptions } from './backoff.js';
import { SupervisedThread, type RestartResult } from './supervised-thread.js';

export interface ComputePoolOptions {
  /** Number of threads (`onnx.computeThreads`). */
  readonly size: number;
  /** Restart delays of a thread that died. */
  readonly backoff: BackoffOptions;
  readonly logger: Logger;
  /** Called whenever {@link ComputePool.ready} may have changed. */
  readonly onReadyChange?: () => void;
  /** Called after each restart attempt of a thread. */
  readonly onRestart?: (thread: string, result: RestartResult) => void;
  /** Called once per thread when it is first started (e.g. to expose its metric series at 0). */
  readonly onThreadStarted?: (thread: string) => void;
  /** A session run stuck longer than this replaces its thread (`onnx.computeRunTimeoutMs`; 0: never). */
  readonly runTimeoutMs?: number;
  /** Called with +1 when a thread is abandoned (stuck in a run) and -1 when it has exited. */
  readonly onAbandonedChange?: (delta: 1 | -1) => void;
}

/**
 * The worker's compute threads (`onnx.computeThreads`); hosted networks are spread over them round-robin.
 * Threads start on first use, are replaced when they die (see {@link SupervisedThread}) and stop in
 * {@link close}.
 */
export class ComputePool {
  private readonly threads: SupervisedThread[] = [];
  private next = 0;

  constructor(private readonly options: ComputePoolOptions) {}

  get size(): number {
    return this.options.size;
  }

  /** The thread for the next network opened. */
  take(): SupervisedThread {
    const i = this.next++ % this.options.size;
    let t = this.threads[i];
    if (t === undefined) {
      const name = `bottlenet-compute-${i}`;
      const { backoff, logger, onReadyChange, onRestart, runTimeoutMs, onAbandonedChange } =
        this.options;
      t = new SupervisedThread(name, {
        backoff,
        logger,
        onReadyChange,
        onRestart: (result) => onRestart?.(name, result),
        runTimeoutMs,
        onAbandonedChange,
      });
      this.threads[i] = t;
      this.options.onThreadStarted?.(name);
    }
    return t;
  }

  /** True when every started thread is up with its sessions open and warm. */
  get ready(): boolean {
    return this.threads.every((t) => t.ready);
  }

  /** Threads up and taking work. */
  get readyCount(): number {
    return this.threads.filter((t) => t.ready).length;
  }

  /** Why some network cannot run now (a thread restarting), or undefined when every thread is ready. */
  get notReadyReason(): string | undefined {
    const reasons = this.threads.map((t) => t.notReadyReason).filter((r) => r !== undefined);
    return reasons.length === 0 ? undefined : reasons.join('; ');
  }

  /** The `i`-th thread (tests). */
  thread(i: number): SupervisedThread | undefined {
    return this.threads[i];
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.close()));
  }
}
