/**
 * One way to run an inference: the whole network in the cloud, split after a residual block, or the
 * whole network on the device. Times are measured at idle (no competing load); the load models in
 * `load.ts` stretch them at selection time.
 */
export type CandidateKind = 'cloud-only' | 'split' | 'mobile-only';

export interface Candidate {
  /** `cloud-only`, `mobile-only`, or the partition id from the model repository (`rb1`, ...). */
  readonly id: string;
  readonly kind: CandidateKind;
  /**
   * Position between the cloud and the device: 0 for cloud-only, the residual block index for a
   * split, and one past the last block for mobile-only. A larger value runs more of the network on
   * the device; "toward the mobile" and "toward the cloud" in this package mean a larger or smaller
   * `order`.
   */
  readonly order: number;
  /** TM: time on the device at idle, ms (head + reduction unit + encoder; 0 for cloud-only if not measured). */
  readonly mobileMs: number;
  /** PM: mean device power while it computes this candidate, mW. */
  readonly mobilePowerMw: number;
  /** TC: time in the cloud at idle, ms (decode + restoration + tail). 0 for mobile-only. */
  readonly cloudMs: number;
  /** D_j: bytes uploaded per request (feature frame, or the JPEG input for cloud-only). 0 for mobile-only. */
  readonly bytes: number;
  /** Top-1 accuracy with the codec in the loop (0..1), when known. Used by `minAccuracy`. */
  readonly accuracy?: number | undefined;
}

/** The identifiers of the two candidates that are not partitions. */
export const CLOUD_ONLY = 'cloud-only';
export const MOBILE_ONLY = 'mobile-only';

/** True when the candidate sends anything to the cloud. */
export function usesCloud(candidate: Candidate): boolean {
  return candidate.kind !== 'mobile-only';
}
