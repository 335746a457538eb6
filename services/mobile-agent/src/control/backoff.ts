/**
 * Exponential backoff with full jitter for pinging an unreachable gateway:
 * the n-th consecutive failure waits a random time in `[d/2, d]`, `d = min(max, initial * 2^n)`.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records a failure and returns how long to wait before the next try. */
  fail(): number {
    const d = Math.min(this.maxMs, this.initialMs * 2 ** this.failures);
    this.failures++;
    return d / 2 + (this.random() * d) / 2;
  }

  succeed(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
