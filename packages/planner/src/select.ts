import { Code, MeshError } from '@bottlenet/errors';
import type { Candidate } from './candidate.js';
import { usesCloud } from './candidate.js';
import { checkNumber, checkPositive } from './internal/check.js';
import type { CloudLoad, MobileLoad } from './load.js';
import { IDLE_CLOUD, IDLE_MOBILE, cloudStretch, mobileStretch } from './load.js';
import type { Objective, Prediction } from './predict.js';
import { objectiveValue, predictCandidate } from './predict.js';
import type { Uplink } from './uplink.js';

/** Everything Algorithm 1's selection phase needs for one decision. */
export interface PlanInput {
  /** Cloud-only, the partitions and mobile-only, each with its idle profile. */
  readonly candidates: readonly Candidate[];
  readonly uplink: Uplink;
  readonly objective: Objective;
  /** The cloud's load. @default idle */
  readonly cloudLoad?: CloudLoad | undefined;
  /** The device's own load. @default idle */
  readonly mobileLoad?: MobileLoad | undefined;
  /** False when the cloud is unreachable: only candidates that do not use it remain. @default true */
  readonly cloudAvailable?: boolean | undefined;
  /** Candidates with a known accuracy below this are left out. @default no limit */
  readonly minAccuracy?: number | undefined;
  /** Expected cloud time per candidate id under the current load, ms; replaces the cloud load model for those ids. */
  readonly cloudMsOverride?: Readonly<Record<string, number>> | undefined;
}

/** The outcome of one selection: the best candidate, the next best, and every eligible prediction. */
export interface Selection {
  readonly objective: Objective;
  readonly chosen: Prediction;
  /** The second-best candidate, absent when only one was eligible. */
  readonly runnerUp: Prediction | undefined;
  /** Every eligible candidate's prediction, ordered from the cloud to the device. */
  readonly predictions: readonly Prediction[];
}

/**
 * Algorithm 1's selection phase: predicts every eligible candidate under the uplink and the loads and
 * returns the argmin of the objective (`TM + TU + TC` or `TM * PM + TU * PU`). Ties go to the other
 * objective, then to the candidate that runs more on the device (it depends less on the network).
 * Throws `InvalidArgument` naming the field for bad input and `FailedPrecondition` when no candidate
 * is eligible.
 */
export function selectPartition(input: PlanInput): Selection {
  const objective = checkObjective(input.objective);
  const uplink = checkUplink(input.uplink);
  const candidates = checkCandidates(input.candidates);
  const minAccuracy =
    input.minAccuracy === undefined
      ? undefined
      : checkNumber('minAccuracy', input.minAccuracy, 0, 1);
  for (const [id, ms] of Object.entries(input.cloudMsOverride ?? {}))
    checkNumber(`cloudMsOverride.${id}`, ms);
  const ctx = {
    uplink,
    cloud: cloudStretch(input.cloudLoad ?? IDLE_CLOUD),
    mobileStretch: mobileStretch(input.mobileLoad ?? IDLE_MOBILE),
    cloudMsOverride: input.cloudMsOverride,
  };
  const cloudAvailable = input.cloudAvailable ?? true;
  const eligible = candidates.filter(
    (c) =>
      (cloudAvailable || !usesCloud(c)) &&
      (minAccuracy === undefined || c.accuracy === undefined || c.accuracy >= minAccuracy),
  );
  if (eligible.length === 0) {
    const why = cloudAvailable
      ? `none reaches minAccuracy ${String(minAccuracy)}`
      : 'the cloud is unavailable and there is no mobile-only candidate';
    throw new MeshError(Code.FailedPrecondition, `no eligible candidate: ${why}`, {
      type: 'no_eligible_candidate',
    });
  }
  const predictions = eligible
    .map((c) => predictCandidate(c, ctx))
    .sort((a, b) => a.order - b.order);
  const other: Objective = objective === 'latency' ? 'energy' : 'latency';
  const ranked = [...predictions].sort(
    (a, b) =>
      objectiveValue(a, objective) - objectiveValue(b, objective) ||
      objectiveValue(a, other) - objectiveValue(b, other) ||
      b.order - a.order,
  );
  return { objective, chosen: ranked[0]!, runnerUp: ranked[1], predictions };
}

function checkObjective(objective: unknown): Objective {
  if (objective === 'latency' || objective === 'energy') return objective;
  throw new MeshError(
    Code.InvalidArgument,
    `objective must be "latency" or "energy", got ${JSON.stringify(objective) ?? 'undefined'}`,
    {
      type: 'invalid_planner_input',
    },
  );
}

function checkUplink(uplink: Uplink | undefined): Uplink {
  if (uplink === undefined || uplink === null)
    throw new MeshError(Code.InvalidArgument, 'uplink is required', {
      type: 'invalid_planner_input',
    });
  checkPositive('uplink.bandwidthMbps', uplink.bandwidthMbps);
  checkNumber('uplink.rttMs', uplink.rttMs);
  checkNumber('uplink.alphaMwPerMbps', uplink.alphaMwPerMbps);
  checkNumber('uplink.betaMw', uplink.betaMw);
  return uplink;
}

function checkCandidates(input: readonly Candidate[] | undefined): readonly Candidate[] {
  if (input === undefined || !isArray(input) || input.length === 0) {
    throw new MeshError(Code.InvalidArgument, 'candidates must be a non-empty array', {
      type: 'invalid_planner_input',
    });
  }
  const candidates: readonly Candidate[] = input;
  const seen = new Set<string>();
  for (const [i, c] of candidates.entries()) {
    const at = `candidates[${i}]`;
    if (typeof c.id !== 'string' || c.id === '')
      throw new MeshError(Code.InvalidArgument, `${at}.id must be a non-empty string`, {
        type: 'invalid_planner_input',
      });
    if (seen.has(c.id))
      throw new MeshError(Code.InvalidArgument, `${at}.id "${c.id}" appears twice`, {
        type: 'invalid_planner_input',
      });
    seen.add(c.id);
    if (c.kind !== 'cloud-only' && c.kind !== 'split' && c.kind !== 'mobile-only') {
      throw new MeshError(
        Code.InvalidArgument,
        `${at}.kind must be cloud-only, split or mobile-only, got ${JSON.stringify(c.kind) ?? 'undefined'}`,
        {
          type: 'invalid_planner_input',
        },
      );
    }
    checkNumber(`${at}.order`, c.order);
    checkNumber(`${at}.mobileMs`, c.mobileMs);
    checkNumber(`${at}.mobilePowerMw`, c.mobilePowerMw);
    checkNumber(`${at}.cloudMs`, c.cloudMs);
    checkNumber(`${at}.bytes`, c.bytes);
    if (c.accuracy !== undefined) checkNumber(`${at}.accuracy`, c.accuracy, 0, 1);
  }
  return candidates;
}

function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}
