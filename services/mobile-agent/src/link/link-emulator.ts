import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';

/** What a wait can be cancelled by: an `abort` event with `aborted` / `reason` (a call's deadline). */
export interface LinkAbort {
  readonly aborted: boolean;
  readonly reason: unknown;
  once(event: 'abort', listener: () => void): unknown;
  removeListener(event: 'abort', listener: () => void): unknown;
}

/**
 * Shapes an uplink in-process: transfers are serialised on one link of `bandwidthMbps` (a transfer
 * waits for the ones before it), each arrives `rttMs / 2` after its last bit, and the reply comes back
 * after another `rttMs / 2` (the downlink is not bandwidth-limited: replies are a few bytes).
 * The agent awaits `uplink()` before it really sends and `downlink()` after the reply, so every
 * timing it measures includes the emulated link.
 */
export class LinkEmulator {
  private busyUntil = 0;

  constructor(
    readonly bandwidthMbps: number,
    readonly rttMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Milliseconds that `bytes` occupy the link. */
  transmitMs(bytes: number): number {
    return (bytes * 8) / (this.bandwidthMbps * 1000);
  }

  /** Resolves when `bytes` sent now would have reached the far end. */
  async uplink(bytes: number, signal?: LinkAbort): Promise<void> {
    const t = this.now();
    const start = Math.max(t, this.busyUntil);
    this.busyUntil = start + this.transmitMs(bytes);
    const arrival = this.busyUntil + this.rttMs / 2;
    if (arrival - t > 0.05) await waitUntil(arrival, this.now, signal);
  }

  /** Resolves when a reply sent now would have reached the device. */
  async downlink(signal?: LinkAbort): Promise<void> {
    if (this.rttMs > 0) await waitUntil(this.now() + this.rttMs / 2, this.now, signal);
  }
}

/**
 * Waits until `now()` reaches `deadline`. Node's timers run on the event loop's cached whole-millisecond
 * clock: they fire up to about a millisecond early or late against the wall clock. So the timer sleeps until
 * a millisecond before the deadline and the last stretch polls with `setImmediate` (the event loop keeps
 * serving I/O meanwhile): an emulated transfer arrives neither before its link allows nor a timer tick
 * after.
 */
async function waitUntil(
  deadline: number,
  now: () => number,
  signal: LinkAbort | undefined,
): Promise<void> {
  const coarse = deadline - now() - TIMER_SLACK_MS;
  if (coarse > 0) await waitFor(coarse, signal);
  while (now() < deadline) {
    if (signal?.aborted === true) throw asError(signal.reason);
    await immediate();
  }
}

/** How far before a deadline the timer hands over to polling. */
const TIMER_SLACK_MS = 1;

/** Waits `ms`; rejects with the signal's reason as soon as it aborts. */
function waitFor(ms: number, signal: LinkAbort | undefined): Promise<void> {
  if (signal === undefined) return sleep(ms);
  if (signal.aborted) return Promise.reject(asError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(asError(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeListener('abort', onAbort);
      resolve();
    }, ms);
    signal.once('abort', onAbort);
  });
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
