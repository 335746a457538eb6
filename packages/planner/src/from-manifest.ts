import { Code, MeshError } from '@bottlenet/errors';
import type { Candidate } from './candidate.js';
import { CLOUD_ONLY, MOBILE_ONLY } from './candidate.js';
import { checkNumber } from './internal/check.js';

/** The fields of a model repository manifest the planner reads (a structural subset of model-repo's type). */
export interface ManifestLike {
  readonly baselineAccuracy?: number | undefined;
  readonly partitions: ReadonlyArray<{
    readonly id: string;
    readonly block: number;
    /** Mean wire bytes per sample (frame header + payload). */
    readonly meanBytes: number;
    readonly accuracy?: number | undefined;
  }>;
}

/** A measured (or assumed) idle profile of one split: device time and power, cloud time. */
export interface SplitProfile {
  readonly mobileMs: number;
  readonly mobilePowerMw: number;
  readonly cloudMs: number;
  /** Overrides the manifest's `meanBytes` (e.g. bytes measured on the device's own inputs). */
  readonly bytes?: number | undefined;
}

export interface CandidateProfiles {
  /** Profile per partition id of the manifest. */
  readonly partitions: Readonly<Record<string, SplitProfile>>;
  /** Cloud-only: the JPEG input's bytes, the full model's cloud time, and the device's encode time. Absent: no cloud-only candidate. */
  readonly cloudOnly?:
    | {
        readonly bytes: number;
        readonly cloudMs: number;
        readonly mobileMs?: number;
        readonly mobilePowerMw?: number;
      }
    | undefined;
  /** Mobile-only: the full model on the device. Absent: no mobile-only candidate. */
  readonly mobileOnly?: { readonly mobileMs: number; readonly mobilePowerMw: number } | undefined;
}

/**
 * The candidate set of a model repository: cloud-only (order 0), one split per partition (order =
 * its residual block), mobile-only (one past the deepest block). Throws `InvalidArgument` when a
 * partition has no profile or a number is out of range.
 */
export function candidatesFromManifest(
  manifest: ManifestLike,
  profiles: CandidateProfiles,
): Candidate[] {
  const out: Candidate[] = [];
  const baseline = manifest.baselineAccuracy;
  if (profiles.cloudOnly !== undefined) {
    const p = profiles.cloudOnly;
    out.push({
      id: CLOUD_ONLY,
      kind: 'cloud-only',
      order: 0,
      mobileMs: checkNumber('cloudOnly.mobileMs', p.mobileMs ?? 0),
      mobilePowerMw: checkNumber('cloudOnly.mobilePowerMw', p.mobilePowerMw ?? 0),
      cloudMs: checkNumber('cloudOnly.cloudMs', p.cloudMs),
      bytes: checkNumber('cloudOnly.bytes', p.bytes),
      accuracy: baseline,
    });
  }
  let deepest = 0;
  for (const part of manifest.partitions) {
    const p = profiles.partitions[part.id];
    if (p === undefined) {
      throw new MeshError(Code.InvalidArgument, `no profile for partition "${part.id}"`, {
        type: 'missing_profile',
      });
    }
    const block = checkNumber(`partitions.${part.id}.block`, part.block, 1);
    deepest = Math.max(deepest, block);
    out.push({
      id: part.id,
      kind: 'split',
      order: block,
      mobileMs: checkNumber(`profiles.${part.id}.mobileMs`, p.mobileMs),
      mobilePowerMw: checkNumber(`profiles.${part.id}.mobilePowerMw`, p.mobilePowerMw),
      cloudMs: checkNumber(`profiles.${part.id}.cloudMs`, p.cloudMs),
      bytes: checkNumber(`profiles.${part.id}.bytes`, p.bytes ?? part.meanBytes),
      accuracy: part.accuracy,
    });
  }
  if (profiles.mobileOnly !== undefined) {
    out.push({
      id: MOBILE_ONLY,
      kind: 'mobile-only',
      order: deepest + 1,
      mobileMs: checkNumber('mobileOnly.mobileMs', profiles.mobileOnly.mobileMs),
      mobilePowerMw: checkNumber('mobileOnly.mobilePowerMw', profiles.mobileOnly.mobilePowerMw),
      cloudMs: 0,
      bytes: 0,
      accuracy: baseline,
    });
  }
  return out;
}
