import { Tensor } from 'onnxruntime-node';
import type { OpenedSession } from '@bottlenet/model-repo';
import type { SupervisedThread, ThreadSession } from './supervised-thread.js';

/** One session run of a batch: the logits `[n, classes]` and the run's own duration. */
export interface RunResult {
  readonly logits: Float32Array;
  readonly computeMs: number;
}

/**
 * Runs one network on batches written into {@link input} (`[maxBatch, ...shape]`, float32): the caller
 * writes samples 0..n-1, then calls {@link run}. One run at a time per runner (the batcher ensures it).
 */
export interface TailRunner {
  readonly input: Float32Array;
  /**
   * Runs samples 0..n-1. `lone`: a single request with nothing queued behind it, which a threaded runner
   * runs on the JS thread (no thread hop to wait for; the JS thread has nothing else to do).
   */
  run(n: number, lone?: boolean): Promise<RunResult>;
  release(): Promise<void>;
}

/**
 * Runs the session on the worker's JS thread (`onnx.computeThreads: 0`). The input tensor of each batch
 * size is made once over the preallocated buffer and reused.
 */
export class InlineRunner implements TailRunner {
  readonly input: Float32Array;
  private readonly tensors = new Map<number, Tensor>();
  private readonly sampleSize: number;

  constructor(
    private readonly opened: OpenedSession,
    maxBatchSize: number,
  ) {
    this.sampleSize = opened.inputShape.reduce((a, b) => a * b, 1);
    this.input = new Float32Array(maxBatchSize * this.sampleSize);
  }

  async run(n: number): Promise<RunResult> {
    let t = this.tensors.get(n);
    if (t === undefined) {
      t = new Tensor('float32', this.input.subarray(0, n * this.sampleSize), [
        n,
        ...this.opened.inputShape,
      ]);
      this.tensors.set(n, t);
    }
    const t0 = performance.now();
    const out = await this.opened.session.run({ [this.opened.inputName]: t });
    const computeMs = performance.now() - t0;
    const logits = out[this.opened.outputName]?.data;
    if (!(logits instanceof Float32Array))
      throw new Error(`output "${this.opened.outputName}" is missing or not float32`);
    return { logits, computeMs };
  }

  async release(): Promise<void> {
    await this.opened.session.release();
  }
}

/**
 * Runs the session in a compute thread: the batch input is a SharedArrayBuffer the thread reads, so the
 * JS thread goes on serving gRPC while the session runs. A lone request (batch of one, nothing queued)
 * runs on the JS thread's own session instead: at low load the two thread hops would be all the added
 * latency, and there is nothing to overlap with. The thread is supervised: if it dies, runs fail with
 * UNAVAILABLE until a replacement has re-opened and warmed this session.
 */
export class ThreadRunner implements TailRunner {
  readonly input: Float32Array;
  private readonly lone: InlineRunner;

  private constructor(
    private readonly thread: SupervisedThread,
    private readonly session: ThreadSession,
    input: SharedArrayBuffer,
    opened: OpenedSession,
  ) {
    this.input = new Float32Array(input);
    this.lone = new InlineRunner(opened, 1);
  }

  /**
   * Opens the file of `opened` (already validated on the JS thread, and kept there for lone requests)
   * in `thread` with the same options.
   */
  static async open(
    thread: SupervisedThread,
    path: string,
    opened: OpenedSession,
    options: {
      intraOpNumThreads: number;
      interOpNumThreads: number;
      maxBatchSize: number;
      warmupRuns: number;
    },
  ): Promise<ThreadRunner> {
    const sampleSize = opened.inputShape.reduce((a, b) => a * b, 1);
    const input = new SharedArrayBuffer(
      options.maxBatchSize * sampleSize * Float32Array.BYTES_PER_ELEMENT,
    );
    const session = await thread.open({
      path,
      options: {
        intraOpNumThreads: options.intraOpNumThreads,
        interOpNumThreads: options.interOpNumThreads,
      },
      inputName: opened.inputName,
      outputName: opened.outputName,
      shape: opened.inputShape,
      input,
      maxBatchSize: options.maxBatchSize,
      warmupRuns: options.warmupRuns,
    });
    return new ThreadRunner(thread, session, input, opened);
  }

  run(n: number, lone = false): Promise<RunResult> {
    if (lone && n === 1) {
      this.lone.input.set(this.input.subarray(0, this.lone.input.length));
      return this.lone.run(1);
    }
    return this.thread.run(this.session, n);
  }

  async release(): Promise<void> {
    await Promise.all([this.thread.release(this.session), this.lone.release()]);
  }
}
