import type { Candidate } from '@bottlenet/planner';
import { CLOUD_ONLY_ID, MOBILE_ONLY_ID } from '@bottlenet/protocol';
import type { ModelView } from '../runtime/types.js';

/** What the agent measured about one candidate's on-device part, and what it sends. */
export interface CandidateProfile {
  /** TM at calibration (idle), ms. */
  mobileMs: number;
  /** D_j: bytes per request (moving average of what was really sent; the manifest's mean at first). */
  bytes: number;
  /** TC at idle when the gateway has not reported one, ms. */
  cloudMs: number;
}

/**
 * Cloud-only, every partition, and mobile-only as planner candidates, ordered from the cloud to the
 * device. `order` is the residual block (0 cloud-only, last block + 1 mobile-only).
 */
export function buildCandidates(
  model: ModelView,
  profiles: ReadonlyMap<string, CandidateProfile>,
  powerMw: number,
): Candidate[] {
  const out: Candidate[] = [];
  const lastBlock = Math.max(0, ...model.partitions.map((p) => p.block));
  const add = (
    id: string,
    kind: Candidate['kind'],
    order: number,
    accuracy: number | undefined,
  ): void => {
    const p = profiles.get(id);
    if (p === undefined) return;
    out.push({
      id,
      kind,
      order,
      mobileMs: p.mobileMs,
      mobilePowerMw: powerMw,
      cloudMs: kind === 'mobile-only' ? 0 : p.cloudMs,
      bytes: kind === 'mobile-only' ? 0 : p.bytes,
      accuracy,
    });
  };
  add(CLOUD_ONLY_ID, 'cloud-only', 0, model.baselineAccuracy);
  for (const p of model.partitions) add(p.id, 'split', p.block, p.accuracy);
  add(MOBILE_ONLY_ID, 'mobile-only', lastBlock + 1, model.baselineAccuracy);
  return out;
}

/** Idle cloud time of a tail by its share of the full network's FLOPs (the device's full time as the yardstick). */
export function tailShare(model: ModelView, partitionId: string): number {
  const p = model.partitions.find((x) => x.id === partitionId);
  if (p?.tailFlops !== undefined && model.fullFlops !== undefined && model.fullFlops > 0)
    return Math.min(1, p.tailFlops / model.fullFlops);
  const blocks = Math.max(1, ...model.partitions.map((x) => x.block)) + 1;
  return p === undefined ? 1 : 1 - p.block / blocks;
}
