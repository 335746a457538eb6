export { LINK_PRESETS, uploadPowerMw, resolveLinkProfile } from './link-profile.js';
export type { LinkProfile, LinkSettings } from './link-profile.js';
export { LinkEmulator } from './link-emulator.js';
export { UplinkEstimator } from './uplink-estimator.js';
