import type { Candidate, CandidateKind } from './candidate.js';
import { usesCloud } from './candidate.js';
import type { CloudStretch } from './load.js';
import type { Uplink } from './uplink.js';
import { transferMs, uploadPowerMw } from './uplink.js';

/** The objective of Algorithm 1's selection: end-to-end latency, or the device's energy. */
export type Objective = 'latency' | 'energy';

/** What the profiling model predicts for one candidate under the current uplink and loads. */
export interface Prediction {
  readonly id: string;
  readonly kind: CandidateKind;
  readonly order: number;
  /** TM under the device's load, ms. */
  readonly mobileMs: number;
  /** TU: transfer time plus one round trip, ms (0 for mobile-only). */
  readonly uploadMs: number;
  /** TC under the cloud's load, ms (0 for mobile-only). */
  readonly cloudMs: number;
  /** TM + TU + TC, ms. */
  readonly latencyMs: number;
  /** Device energy: TM * PM + transfer * PU + rtt * beta, mJ. */
  readonly energyMj: number;
}

/** The part of the model that does not depend on the candidate. */
export interface PredictContext {
  readonly uplink: Uplink;
  readonly cloud: CloudStretch;
  readonly mobileStretch: number;
  /** Expected cloud time per candidate id that replaces `TC * stretch + wait` (e.g. measured by the cloud). */
  readonly cloudMsOverride?: Readonly<Record<string, number>> | undefined;
}

/**
 * Algorithm 1's profiling model for one candidate.
 * Latency `TM + TU + TC`; energy `TM * PM + TU * PU` where `PU = alphaU * tU + beta` is the radio
 * power while it uploads at throughput `tU` (the link's bandwidth). The round trip is spent with the
 * radio connected but not sending, which the same model prices at `beta` (tU = 0).
 * mW x ms = uJ, so energies are divided by 1000 to give mJ.
 */
export function predictCandidate(candidate: Candidate, ctx: PredictContext): Prediction {
  const mobileMs = candidate.mobileMs * ctx.mobileStretch;
  const remote = usesCloud(candidate);
  const sendMs = remote ? transferMs(candidate.bytes, ctx.uplink) : 0;
  const rttMs = remote ? ctx.uplink.rttMs : 0;
  const override = ctx.cloudMsOverride?.[candidate.id];
  const cloudMs = !remote
    ? 0
    : (override ?? candidate.cloudMs * ctx.cloud.stretch + ctx.cloud.waitMs);
  const uploadMs = sendMs + rttMs;
  const energyUj =
    mobileMs * candidate.mobilePowerMw +
    sendMs * uploadPowerMw(ctx.uplink) +
    rttMs * ctx.uplink.betaMw;
  return {
    id: candidate.id,
    kind: candidate.kind,
    order: candidate.order,
    mobileMs,
    uploadMs,
    cloudMs,
    latencyMs: mobileMs + uploadMs + cloudMs,
    energyMj: energyUj / 1000,
  };
}

/** The value a prediction scores under `objective` (ms or mJ; lower is better). */
export function objectiveValue(prediction: Prediction, objective: Objective): number {
  return objective === 'latency' ? prediction.latencyMs : prediction.energyMj;
}
