import { Code, MeshError } from '@bottlenet/errors';

/**
 * Named mobile compute-power profiles (mW while the device runs the network), used when the board's
 * power rails cannot be read. These are stated assumptions, not measurements of this machine:
 * `jetson-tx2` is the paper's device at MAXN running a CNN on its GPU (module rails, about 5 W);
 * `jetson-orin-nano` a 7 W-mode Orin Nano; `cpu-arm` a phone-class big core cluster.
 */
export const POWER_PROFILES: Readonly<Record<string, number>> = Object.freeze({
  'jetson-tx2': 5000,
  'jetson-orin-nano': 7000,
  'cpu-arm': 2500,
});

export function profileComputeMw(profile: string, override?: number): number {
  if (override !== undefined) return override;
  const mw = POWER_PROFILES[profile];
  if (mw === undefined) {
    throw new MeshError(
      Code.InvalidArgument,
      `unknown power profile "${profile}" (${Object.keys(POWER_PROFILES).join(', ')})`,
      {
        type: 'bad_config',
      },
    );
  }
  return mw;
}

/**
 * Device energy of one request by the paper's model: `TM * PM + TU * PU`, with times in ms and powers
 * in mW, returned in millijoules. Time spent waiting for the cloud is not charged (as in the paper).
 */
export function requestEnergyMj(e: {
  mobileMs: number;
  computeMw: number;
  uploadMs: number;
  uploadMw: number;
}): number {
  return (e.mobileMs * e.computeMw + e.uploadMs * e.uploadMw) / 1000;
}
