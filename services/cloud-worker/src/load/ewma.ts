/** Exponentially weighted moving average; the first sample sets the value. */
export class Ewma {
  private current: number | undefined;

  constructor(private readonly alpha: number) {}

  update(sample: number): number {
    this.current =
      this.current === undefined ? sample : this.current + this.alpha * (sample - this.current);
    return this.current;
  }

  /** The average, or `fallback` before the first sample. */
  value(fallback = 0): number {
    return this.current ?? fallback;
  }

  get hasValue(): boolean {
    return this.current !== undefined;
  }
}
