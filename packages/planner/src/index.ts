// Algorithm 1's profiling model and selection phase (BottleNet, lines 32-46): pure functions.
export { selectPartition } from './select.js';
export type { PlanInput, Selection } from './select.js';
export { candidatesFromManifest } from './from-manifest.js';
export type { ManifestLike, SplitProfile, CandidateProfiles } from './from-manifest.js';
export { uplinkPreset, uploadPowerMw, transferMs, UPLINK_PRESETS } from './uplink.js';
export type { Uplink, UplinkPresetName } from './uplink.js';
export { Hysteresis } from './hysteresis.js';
export type { HysteresisOptions, HysteresisDecision, HysteresisReason } from './hysteresis.js';
export { CLOUD_ONLY, MOBILE_ONLY, usesCloud } from './candidate.js';
export type { Candidate, CandidateKind } from './candidate.js';
export type { Objective, Prediction } from './predict.js';

// Building blocks, for the load monitor's cloud summary and for simulators.
export {
  cloudStretch,
  expectedCloudMs,
  mobileStretch,
  IDLE_CLOUD,
  IDLE_MOBILE,
  MAX_MOBILE_UTILISATION,
} from './load.js';
export type { CloudLoad, MobileLoad, CloudStretch } from './load.js';
export { predictCandidate, objectiveValue } from './predict.js';
export type { PredictContext } from './predict.js';
export {
  paperResNet50,
  PAPER_TABLE5_CLOUD_ONLY_MS,
  PAPER_RESNET50_ASSUMED,
} from './paper-resnet50.js';
export { monotonicityViolations } from './monotonicity.js';
export type { MonotonicityViolation } from './monotonicity.js';
