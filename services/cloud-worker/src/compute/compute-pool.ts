import { ComputeThread } from './compute-thread.js';

/**
 * The worker's compute threads (`onnx.computeThreads`); hosted networks are spread over them round-robin.
 * Threads start on first use and stop in {@link close}.
 */
export class ComputePool {
  private readonly threads: ComputeThread[] = [];
  private next = 0;

  constructor(readonly size: number) {}

  /** The thread for the next network opened. */
  take(): ComputeThread {
    const i = this.next++ % this.size;
    let t = this.threads[i];
    if (t === undefined) {
      t = new ComputeThread(`bottlenet-compute-${i}`);
      this.threads[i] = t;
    }
    return t;
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
