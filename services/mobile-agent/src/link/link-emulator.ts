import { setTimeout as sleep } from 'node:timers/promises';

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
  async uplink(bytes: number, signal?: AbortSignal): Promise<void> {
    const t = this.now();
    const start = Math.max(t, this.busyUntil);
    this.busyUntil = start + this.transmitMs(bytes);
    const wait = this.busyUntil + this.rttMs / 2 - t;
    if (wait > 0.05) await sleep(wait, undefined, signal === undefined ? undefined : { signal });
  }

  /** Resolves when a reply sent now would have reached the device. */
  async downlink(signal?: AbortSignal): Promise<void> {
    if (this.rttMs > 0)
      await sleep(this.rttMs / 2, undefined, signal === undefined ? undefined : { signal });
  }
}
