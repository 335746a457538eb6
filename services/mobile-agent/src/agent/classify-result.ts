import type { ClassScore } from '../runtime/top-k.js';

/** The answer to one classification, with where it ran and what it cost. */
export interface ClassifyResult {
  readonly requestId: string;
  readonly top: readonly ClassScore[];
  /** The candidate chosen for this request. */
  readonly candidate: string;
  /** Who answered: `cloud`, `mobile` (mobile-only by choice) or `fallback` (mobile-only after a cloud failure). */
  readonly answeredBy: 'cloud' | 'mobile' | 'fallback';
  readonly fallbackReason: string | undefined;
  readonly latencyMs: number;
  /** Device compute (normalise, head or full network, codec), ms. */
  readonly mobileMs: number;
  /** The head's (or full network's) session run alone, ms. */
  readonly sessionMs: number;
  /** From handing the body to the link until the reply, ms (0 when nothing was sent). */
  readonly networkMs: number;
  /** Worker-reported time, ms. */
  readonly serverMs: number;
  /**
   * Agent time outside session runs and the network, ms: `latencyMs - sessionMs - networkMs` (the
   * network includes the emulated link's waits, the HTTP round trip, the gateway and `serverMs`).
   */
  readonly overheadMs: number;
  readonly bytesSent: number;
  /** Device energy by the paper's model, mJ. */
  readonly energyMj: number;
}

export interface ClassifyOptions {
  readonly requestId?: string;
  readonly topK?: number;
  /** Run this request on the given candidate without touching the controller (benchmarks, comparisons). */
  readonly force?: string;
}
