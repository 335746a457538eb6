import type { CandidateProfiles, ManifestLike } from './from-manifest.js';
import type { UplinkPresetName } from './uplink.js';

/**
 * Reference inputs for ResNet-50 on a Jetson TX2 with a GTX 1080 Ti cloud, in the shape of the paper's
 * Table 4, for tests, benches and fleet simulators.
 *
 * Table 3 (the uplinks) is the paper's, verbatim (see `uplinkPreset`). Table 4's per-partition numbers
 * could not be found in any source reachable from this project, so the numbers below are ASSUMED,
 * derived from what is known (docs/planner.md, "Paper check", gives every assumption):
 * - cloud-only uploads the 26,766-byte JPEG input and the cloud runs ResNet-50 in 1.5 ms
 *   (Table 5's 196.2 ms on 3G = 26766 * 8 / 1.1 Mbps + 1.5 ms);
 * - the device runs the stem in 1.2 ms, each of the 16 residual blocks in 2.4 ms (ResNet-50's
 *   blocks have roughly equal FLOPs), the reduction unit + JPEG encoder in 0.8 ms, the classifier
 *   in 0.4 ms, at 3,000 mW;
 * - the cloud's tail takes 0.1 ms (decode + restoration unit) plus its remaining blocks' share of
 *   1.4 ms (the full model's 1.5 ms less its stem and classifier), so no tail is slower than cloud-only;
 * - the compressed feature shrinks from 316 bytes after RB1 to 118 bytes after RB16.
 */
export const PAPER_RESNET50_ASSUMED = true;

/** Table 5's cloud-only end-to-end latency, ms (the paper's numbers). */
export const PAPER_TABLE5_CLOUD_ONLY_MS: Readonly<Record<UplinkPresetName, number>> = Object.freeze(
  { '3g': 196.2, '4g': 37.9, wifi: 13.1 },
);

const BLOCKS = 16;
const STEM_MS = 1.2;
const BLOCK_MS = 2.4;
const ENCODER_MS = 0.8;
const CLASSIFIER_MS = 0.4;
const MOBILE_POWER_MW = 3000;
const CLOUD_FULL_MS = 1.5;
const CLOUD_BLOCKS_MS = 1.4;
const CLOUD_RESTORE_MS = 0.1;
const BYTES = [316, 298, 287, 254, 241, 233, 226, 189, 180, 174, 171, 166, 160, 131, 124, 118];

/** ResNet-50's manifest subset (RB1..RB16) and profiles, with the assumed Table 4 numbers. */
export function paperResNet50(): { manifest: ManifestLike; profiles: CandidateProfiles } {
  const partitions = BYTES.map((meanBytes, i) => ({ id: `rb${i + 1}`, block: i + 1, meanBytes }));
  const profiles: Record<string, { mobileMs: number; mobilePowerMw: number; cloudMs: number }> = {};
  for (const p of partitions) {
    profiles[p.id] = {
      mobileMs: round(STEM_MS + BLOCK_MS * p.block + ENCODER_MS),
      mobilePowerMw: MOBILE_POWER_MW,
      cloudMs: round(CLOUD_RESTORE_MS + (CLOUD_BLOCKS_MS * (BLOCKS - p.block)) / BLOCKS),
    };
  }
  return {
    manifest: { partitions },
    profiles: {
      partitions: profiles,
      cloudOnly: { bytes: 26766, cloudMs: CLOUD_FULL_MS },
      mobileOnly: {
        mobileMs: round(STEM_MS + BLOCK_MS * BLOCKS + CLASSIFIER_MS),
        mobilePowerMw: MOBILE_POWER_MW,
      },
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
