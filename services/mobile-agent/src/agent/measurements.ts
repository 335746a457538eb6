import type { CandidateProfile } from './candidates.js';
import type { ClassifyResult } from './classify-result.js';

/** Totals over every request, for `/v1/stats`. */
export interface RequestCounts {
  requests: number;
  cloud: number;
  mobile: number;
  fallback: number;
  bytes: number;
  energyMj: number;
}

/**
 * What the agent has measured and the planner reads: per candidate TM (device time, back to idle) and
 * D_j (bytes sent) as moving averages starting from calibration, the cloud-side path time on an emulated
 * link, and request totals.
 */
export class Measurements {
  readonly profiles = new Map<string, CandidateProfile>();
  /** Emulated links only: EWMA of the cloud-side path time outside the worker (gateway, gRPC), ms. */
  pathMs: number | undefined;
  readonly counts: RequestCounts = {
    requests: 0,
    cloud: 0,
    mobile: 0,
    fallback: 0,
    bytes: 0,
    energyMj: 0,
  };

  constructor(private readonly alpha: number) {}

  /** Counts one answered request; TM follows it unless the fallback answered. */
  observeResult(r: ClassifyResult, utilisation: number): void {
    this.counts.requests++;
    this.counts[r.answeredBy]++;
    this.counts.bytes += r.bytesSent;
    this.counts.energyMj += r.energyMj;
    if (r.answeredBy !== 'fallback') this.observeMobileMs(r.candidate, r.mobileMs, utilisation);
  }

  /**
   * Keeps TM current from real requests: the observed device time, scaled back to idle by the measured
   * utilisation (the planner stretches it again by `1 / (1 - u)`), as a moving average.
   */
  observeMobileMs(id: string, observedMs: number, utilisation: number): void {
    const p = this.profiles.get(id);
    if (p === undefined || !(observedMs >= 0)) return;
    const idle = observedMs * (1 - Math.min(0.95, utilisation));
    p.mobileMs += this.alpha * (idle - p.mobileMs);
  }

  observeBytes(id: string, bytes: number): void {
    const p = this.profiles.get(id);
    if (p !== undefined) p.bytes += this.alpha * (bytes - p.bytes);
  }

  observePath(ms: number | undefined): void {
    if (ms === undefined) return;
    this.pathMs = this.pathMs === undefined ? ms : this.pathMs + this.alpha * (ms - this.pathMs);
  }
}
