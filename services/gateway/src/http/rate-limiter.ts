import { Code, MeshError } from '@bottlenet/errors';

/**
 * A token bucket per API key over all routes: `ratePerSecond` tokens a second, bursts up to one
 * second's worth. Exceeding it is RESOURCE_EXHAUSTED (429) with the wait until the next token.
 * (Written here rather than @fastify/rate-limit, whose fixed windows are per route, not per key.)
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Takes one token for `key` or throws RESOURCE_EXHAUSTED with `details.retryAfterMs`. */
  take(key: string, ratePerSecond: number): void {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: ratePerSecond, atMs: now };
    b.tokens = Math.min(ratePerSecond, b.tokens + ((now - b.atMs) * ratePerSecond) / 1000);
    b.atMs = now;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const retryAfterMs = Math.ceil(((1 - b.tokens) * 1000) / ratePerSecond);
    throw new MeshError(
      Code.ResourceExhausted,
      `rate limit of ${String(ratePerSecond)} requests/s for API key "${key}" exceeded; retry in ${String(retryAfterMs)} ms`,
      {
        type: 'rate_limited',
        details: { retryAfterMs },
      },
    );
  }
}
