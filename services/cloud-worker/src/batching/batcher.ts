import { Code, MeshError } from '@bottlenet/errors';

/** A run's outputs with the duration the run measured itself (e.g. inside a compute thread). */
export interface TimedOutputs<O> {
  readonly outputs: readonly O[];
  readonly computeMs: number;
}

/**
 * Runs one batch: `inputs[i]` produces `outputs[i]`. Called at most once at a time per batcher. When it
 * returns {@link TimedOutputs}, that `computeMs` is reported; otherwise the batcher times the call.
 */
export type RunBatch<I, O> = (
  inputs: readonly I[],
) => Promise<readonly O[] | TimedOutputs<O>> | readonly O[] | TimedOutputs<O>;

/** What the batcher reports once per session run, for metrics and load tracking. */
export interface BatchEvent {
  readonly size: number;
  readonly computeMs: number;
  /** Queue wait of each request of the batch, milliseconds. */
  readonly queueMs: readonly number[];
}

export interface BatcherOptions<I, O> {
  /** Names the queue in error messages, e.g. `fmnist-resnet-small@1/rb1`. */
  readonly name: string;
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly run: RunBatch<I, O>;
  /** Retry hint for RESOURCE_EXHAUSTED, milliseconds (e.g. from the EWMA service time). */
  readonly retryAfterMs?: (queued: number) => number;
  readonly onBatch?: (event: BatchEvent) => void;
  /** Called for each request dropped before compute (deadline passed or caller gone). */
  readonly onDrop?: (reason: 'deadline' | 'cancelled') => void;
  /** Monotonic clock in milliseconds; `performance.now` by default. */
  readonly now?: () => number;
}

export interface SubmitOptions {
  /** Monotonic instant (same clock as `now`) after which the request is dropped before compute. */
  readonly deadline?: number;
  /** Checked right before compute; a cancelled request is dropped (e.g. the gRPC client went away). */
  readonly isCancelled?: () => boolean;
  /** When the request arrived; the queue time counts from here. Defaults to submit time. */
  readonly arrivedAt?: number;
}

export interface BatchResult<O> {
  readonly output: O;
  /** From arrival to the start of the batch's run, milliseconds. */
  readonly queueMs: number;
  /** The batch's session run, milliseconds. */
  readonly computeMs: number;
  readonly batchSize: number;
}

interface Pending<I, O> {
  readonly input: I;
  readonly arrivedAt: number;
  readonly deadline: number;
  readonly isCancelled: (() => boolean) | undefined;
  readonly resolve: (r: BatchResult<O>) => void;
  readonly reject: (e: MeshError) => void;
}

/**
 * A dynamic batcher in the manner of Triton's `dynamic_batching`, for one partition: requests queue in a
 * bounded FIFO; a batch is dispatched when `maxBatchSize` requests wait or the oldest has waited
 * `maxQueueDelayMs`, and never while the previous run of this batcher is in progress (one session run at
 * a time per partition, so requests that arrive during a run form the next batch). Expired or cancelled
 * requests are dropped right before compute with DEADLINE_EXCEEDED / CANCELLED; a full queue rejects at
 * once with RESOURCE_EXHAUSTED and a retry hint.
 */
export class DynamicBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = 0;
  /** A `runAlone` job holds the session: batches wait for it. */
  private exclusive = false;
  private dispatchScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closedReason: string | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;
  private readonly dispatchNow = (): void => {
    this.dispatchScheduled = false;
    this.dispatch();
  };

  constructor(private readonly options: BatcherOptions<I, O>) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Requests waiting for a batch. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Requests inside the session run now. */
  get inFlight(): number {
    return this.running;
  }

  get maxBatchSize(): number {
    return this.options.maxBatchSize;
  }

  get maxQueueSize(): number {
    return this.options.maxQueueSize;
  }

  /** Queues one request; resolves with its output once its batch has run. */
  submit(input: I, opts: SubmitOptions = {}): Promise<BatchResult<O>> {
    const { name, maxQueueSize } = this.options;
    if (this.closedReason !== undefined) {
      return Promise.reject(
        new MeshError(Code.Unavailable, `${name} is not accepting requests: ${this.closedReason}`, {
          type: 'draining',
        }),
      );
    }
    const now = this.now();
    const deadline = opts.deadline ?? Infinity;
    if (deadline <= now) {
      this.options.onDrop?.('deadline');
      return Promise.reject(deadlineError(name, 'before queueing'));
    }
    if (this.queue.length >= maxQueueSize) {
      const retryAfterMs = Math.max(
        1,
        Math.ceil(this.options.retryAfterMs?.(this.queue.length) ?? 1),
      );
      return Promise.reject(
        new MeshError(
          Code.ResourceExhausted,
          `${name} queue is full (${maxQueueSize} requests); retry after ${retryAfterMs} ms`,
          {
            type: 'queue_full',
            details: { retryAfterMs },
          },
        ),
      );
    }
    return new Promise<BatchResult<O>>((resolve, reject) => {
      this.queue.push({
        input,
        arrivedAt: opts.arrivedAt ?? now,
        deadline,
        isCancelled: opts.isCancelled,
        resolve,
        reject,
      });
      this.schedule();
    });
  }

  /**
   * Runs `job` on the session while no batch is queued or running (batches arriving meanwhile wait for
   * it), e.g. a lone measurement run on an idle partition; `undefined` without running it when the
   * batcher is busy or closed.
   */
  async runAlone<T>(job: () => Promise<T>): Promise<T | undefined> {
    if (
      this.exclusive ||
      this.running > 0 ||
      this.queue.length > 0 ||
      this.closedReason !== undefined
    )
      return undefined;
    this.exclusive = true;
    try {
      return await job();
    } finally {
      this.exclusive = false;
      this.notifyIdle();
      this.schedule();
    }
  }

  /** Stops accepting requests (UNAVAILABLE); queued and running requests still complete. */
  close(reason = 'shutting down'): void {
    this.closedReason ??= reason;
  }

  /** Resolves once the queue is empty and no run is in progress. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0 && !this.exclusive) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects every queued request with `error` (used when a drain times out). */
  abortQueued(error: MeshError): void {
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(error);
    this.notifyIdle();
  }

  /**
   * Dispatches (or arms the delay timer for) the next batch. `now`: dispatch synchronously when a batch
   * is ready — used when a run finishes, so the next batch starts before this one's replies are sent.
   */
  private schedule(now = false): void {
    if (this.running > 0 || this.exclusive || this.dispatchScheduled || this.queue.length === 0)
      return;
    const oldest = this.queue[0]!;
    const waited = this.now() - oldest.arrivedAt;
    const { maxBatchSize, maxQueueDelayMs } = this.options;
    if (this.queue.length >= maxBatchSize || waited >= maxQueueDelayMs) {
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (now) {
        this.dispatch();
        return;
      }
      // setImmediate, not a microtask: requests that arrived in the same I/O phase join this batch.
      this.dispatchScheduled = true;
      setImmediate(this.dispatchNow);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, maxQueueDelayMs - waited);
    }
  }

  private dispatch(): void {
    if (this.running > 0 || this.exclusive) return;
    const { maxBatchSize, name } = this.options;
    const start = this.now();
    const batch: Pending<I, O>[] = [];
    let taken = 0;
    while (taken < this.queue.length && batch.length < maxBatchSize) {
      const p = this.queue[taken++]!;
      if (p.deadline <= start) {
        this.options.onDrop?.('deadline');
        p.reject(
          deadlineError(
            name,
            `after ${(start - p.arrivedAt).toFixed(1)} ms in the queue, before compute`,
          ),
        );
      } else if (p.isCancelled?.() === true) {
        this.options.onDrop?.('cancelled');
        p.reject(
          new MeshError(Code.Canceled, `${name}: the caller cancelled the request`, {
            type: 'cancelled',
          }),
        );
      } else {
        batch.push(p);
      }
    }
    this.queue.splice(0, taken);
    if (batch.length === 0) {
      this.notifyIdle();
      this.schedule();
      return;
    }
    this.running = batch.length;
    const inputs = batch.map((p) => p.input);
    let result: ReturnType<RunBatch<I, O>>;
    try {
      result = this.options.run(inputs);
    } catch (e) {
      this.finish(batch, start, undefined, e);
      return;
    }
    Promise.resolve(result).then(
      (outputs) => this.finish(batch, start, outputs, undefined),
      (e: unknown) => this.finish(batch, start, undefined, e),
    );
  }

  private finish(
    batch: Pending<I, O>[],
    start: number,
    result: readonly O[] | TimedOutputs<O> | undefined,
    error: unknown,
  ): void {
    let computeMs = this.now() - start;
    let outputs: readonly O[] | undefined;
    if (result === undefined || isOutputArray(result)) outputs = result;
    else {
      outputs = result.outputs;
      computeMs = result.computeMs;
    }
    this.running = 0;
    const { name } = this.options;
    if (outputs !== undefined && outputs.length !== batch.length) {
      error = new Error(`run returned ${outputs.length} outputs for ${batch.length} inputs`);
    }
    const queueMs = batch.map((p) => start - p.arrivedAt);
    // Start the next batch before answering this one: the session (in a compute thread) works while the
    // JS thread sends these replies, instead of idling until they are all out.
    this.schedule(true);
    if (error !== undefined || outputs === undefined) {
      const e =
        error instanceof MeshError
          ? error
          : new MeshError(Code.Internal, `${name}: session run failed: ${errorText(error)}`, {
              cause: error,
              type: 'session_run_failed',
            });
      for (const p of batch) p.reject(e);
    } else {
      this.options.onBatch?.({ size: batch.length, computeMs, queueMs });
      for (let i = 0; i < batch.length; i++) {
        batch[i]!.resolve({
          output: outputs[i]!,
          queueMs: queueMs[i]!,
          computeMs,
          batchSize: batch.length,
        });
      }
    }
    this.notifyIdle();
    this.schedule();
  }

  private notifyIdle(): void {
    if (
      this.queue.length > 0 ||
      this.running > 0 ||
      this.exclusive ||
      this.idleWaiters.length === 0
    )
      return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function deadlineError(name: string, when: string): MeshError {
  return new MeshError(Code.DeadlineExceeded, `${name}: deadline passed ${when}`, {
    type: 'deadline_exceeded',
  });
}

function isOutputArray<O>(r: readonly O[] | TimedOutputs<O>): r is readonly O[] {
  return Array.isArray(r);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
