/** Restart delays of a compute thread: exponential from `initialMs`, capped at `maxMs`. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The delay before restart attempt `attempt` (0 for the first attempt after a death):
 * `min(maxMs, initialMs * 2^attempt)`.
 */
export function backoffDelayMs(attempt: number, o: BackoffOptions): number {
  return Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt, 30));
}

/**
 * A thread that stayed up this long before dying counts as healthy again: the next restart starts from
 * the initial delay instead of where the previous failures left the backoff.
 */
export const STABLE_AFTER_MS = 60_000;
