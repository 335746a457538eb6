import { Ewma } from './ewma.js';

/** Plain numbers of one partition's load, as GetLoad and every reply report them. */
export interface PartitionStatsSnapshot {
  readonly ewmaServiceMs: number;
  readonly ewmaBatchSize: number;
  readonly ewmaQueueMs: number;
  readonly completedTotal: number;
  /** EWMA session-run time per batch size seen so far, milliseconds. */
  readonly serviceMsByBatchSize: ReadonlyMap<number, number>;
}

/**
 * EWMA service time (per batch and per batch size), batch size and queue wait of one partition. The
 * batcher feeds it once per batch; readers get numbers without locking (single-threaded).
 *
 * The EWMA only moves when batches run, so a partition nobody used since a congestion would keep
 * reporting the time of the large batches it ran then, and planners would keep avoiding it. After
 * `idleMs` without a batch, the next request runs alone: the reported service time is then that of the
 * smallest batch size seen. That figure too may date from the congestion (a lone run then shared the
 * CPU), so an idle partition is re-measured by a lone probe run every so often (`recordIdleProbe`).
 */
export class PartitionStats {
  private readonly service: Ewma;
  private readonly batchSize: Ewma;
  private readonly queue: Ewma;
  private readonly byBatchSize = new Map<number, Ewma>();
  private completed = 0;
  private lastBatchAt = Number.NEGATIVE_INFINITY;
  private smallestBatch = Number.POSITIVE_INFINITY;
  /** The batch-size-1 EWMA holds the warm-up's figure, not a request's yet. */
  private loneSeeded = false;
  private lastProbeAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly alpha: number,
    private readonly idleMs = 2000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.service = new Ewma(alpha);
    this.batchSize = new Ewma(alpha);
    this.queue = new Ewma(alpha);
  }

  /** Records one session run of `size` requests that took `computeMs`, with their mean queue wait. */
  recordBatch(size: number, computeMs: number, meanQueueMs: number): void {
    this.lastBatchAt = this.now();
    this.service.update(computeMs);
    this.batchSize.update(size);
    this.queue.update(meanQueueMs);
    if (size < this.smallestBatch) this.smallestBatch = size;
    let e = this.byBatchSize.get(size);
    if (e === undefined || (size === 1 && this.loneSeeded)) {
      this.byBatchSize.set(size, (e = new Ewma(this.alpha)));
      if (size === 1) this.loneSeeded = false;
    }
    e.update(computeMs);
  }

  /**
   * Seeds the idle service time with a lone session run measured at warm-up, before any request:
   * otherwise a partition nobody has used yet reports 0 ms, and planners (the gateway's, the agents')
   * fall back to a guess from FLOPs or the device's own speed and may never try the cloud. It counts as
   * no batch (the batch-size and queue EWMAs, completed and the congested average stay empty); the first
   * real lone batch replaces it.
   */
  seedIdleService(loneComputeMs: number): void {
    if (!this.byBatchSize.has(1)) this.setIdleService(loneComputeMs);
  }

  /**
   * Whether an idle probe is due: no batch for `idleMs` (the idle service time is what is reported) and
   * no probe for `everyMs`.
   */
  idleProbeDue(everyMs: number): boolean {
    const now = this.now();
    return now - this.lastBatchAt > this.idleMs && now - this.lastProbeAt >= everyMs;
  }

  /**
   * A lone run measured on the idle partition now: it replaces the idle (batch-size-1) service time
   * outright, since that one is older than the idle window, and counts as no batch (like the warm-up's).
   */
  recordIdleProbe(loneComputeMs: number): void {
    this.lastProbeAt = this.now();
    this.setIdleService(loneComputeMs);
  }

  /** The lone (batch-size-1) service time from a run outside the batches; the next real lone batch replaces it. */
  private setIdleService(loneComputeMs: number): void {
    if (!(loneComputeMs > 0)) return;
    const e = new Ewma(this.alpha);
    e.update(loneComputeMs);
    this.byBatchSize.set(1, e);
    this.loneSeeded = true;
    this.smallestBatch = 1;
  }

  /** Counts answered requests (any status). */
  recordCompleted(n = 1): void {
    this.completed += n;
  }

  get ewmaServiceMs(): number {
    const idle = this.byBatchSize.get(this.smallestBatch);
    if (idle === undefined || this.now() - this.lastBatchAt <= this.idleMs)
      return this.service.value();
    return idle.value();
  }

  /** Expected time until a newly queued request is answered, with `queued` requests ahead of it. */
  expectedWaitMs(queued: number, maxBatchSize: number): number {
    const perBatch = this.service.hasValue ? this.ewmaServiceMs : 1;
    const batches = Math.ceil((queued + 1) / Math.max(1, maxBatchSize));
    return batches * perBatch;
  }

  snapshot(): PartitionStatsSnapshot {
    const serviceMsByBatchSize = new Map<number, number>();
    for (const [size, e] of this.byBatchSize) serviceMsByBatchSize.set(size, e.value());
    return {
      ewmaServiceMs: this.ewmaServiceMs,
      ewmaBatchSize: this.batchSize.value(),
      ewmaQueueMs: this.queue.value(),
      completedTotal: this.completed,
      serviceMsByBatchSize,
    };
  }
}
