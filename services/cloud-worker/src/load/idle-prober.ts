import type { Logger } from 'pino';
import type { HostedPartition } from '../hosting/hosted-partition.js';

/**
 * Keeps the idle service time of unused partitions current. A partition nobody sends to keeps reporting
 * the lone-run time it last measured, which after a congestion is the congested one, so planners keep
 * avoiding it long after the cloud is idle again. Every `everyMs` this runs one lone batch of zeros on
 * each partition that has been idle for its stats' idle window (one partition at a time, only when its
 * batcher has nothing queued or running): about one tail run per idle partition per period.
 */
export class IdleProber {
  private timer: NodeJS.Timeout | undefined;
  private sweep: Promise<void> = Promise.resolve();

  constructor(
    private readonly partitions: () => readonly HostedPartition[],
    private readonly everyMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.everyMs <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.sweep = this.sweep.then(() => this.probeAll());
    }, this.everyMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweep;
  }

  private async probeAll(): Promise<void> {
    for (const p of this.partitions()) {
      if (this.timer === undefined) return;
      try {
        if (await p.probeIfIdle(this.everyMs))
          this.logger.debug(
            { partition: p.key, idleServiceMs: p.stats.ewmaServiceMs },
            'idle probe',
          );
      } catch (err) {
        this.logger.warn({ partition: p.key, err }, 'idle probe failed');
      }
    }
  }
}
