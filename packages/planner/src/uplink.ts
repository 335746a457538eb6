import { Code, MeshError } from '@bottlenet/errors';

/**
 * The device's uplink: the upload throughput it achieves, the round trip to the gateway, and the
 * radio power model of the paper (Table 3, after Huang et al., MobiSys 2012):
 * `PU = alphaU * tU + beta` in mW, where `tU` is the upload throughput in Mbps while sending.
 */
export interface Uplink {
  /** Upload throughput, Mbps (10^6 bit/s). */
  readonly bandwidthMbps: number;
  /** Round trip to the cloud tier, ms. Added once to every request that uses the cloud. */
  readonly rttMs: number;
  /** alpha_u: radio power per Mbps of upload throughput, mW/Mbps. */
  readonly alphaMwPerMbps: number;
  /** beta: radio power in the connected state with no traffic, mW. */
  readonly betaMw: number;
  /** A label for logs and metrics (`3g`, `4g`, `wifi`, `measured`). */
  readonly name?: string | undefined;
}

export type UplinkPresetName = '3g' | '4g' | 'wifi';

const table3: Record<UplinkPresetName, Uplink> = {
  '3g': { name: '3g', bandwidthMbps: 1.1, rttMs: 0, alphaMwPerMbps: 868.98, betaMw: 817.88 },
  '4g': { name: '4g', bandwidthMbps: 5.85, rttMs: 0, alphaMwPerMbps: 438.39, betaMw: 1288.04 },
  wifi: { name: 'wifi', bandwidthMbps: 18.88, rttMs: 0, alphaMwPerMbps: 283.17, betaMw: 132.86 },
};

/** The preset names, in the paper's order. */
export const UPLINK_PRESETS: readonly UplinkPresetName[] = ['3g', '4g', 'wifi'];

/**
 * The paper's Table 3 uplink for a network type. The paper's model has no round trip, so `rttMs`
 * is 0 unless given; a measured bandwidth or RTT can override the preset's.
 */
export function uplinkPreset(name: UplinkPresetName, overrides: Partial<Uplink> = {}): Uplink {
  const base = (table3 as Partial<Record<string, Uplink>>)[name];
  if (base === undefined) {
    throw new MeshError(
      Code.InvalidArgument,
      `unknown uplink preset "${String(name)}"; expected one of ${UPLINK_PRESETS.join(', ')}`,
      {
        type: 'unknown_uplink_preset',
      },
    );
  }
  return { ...base, ...overrides };
}

/** PU: radio power while uploading at the link's throughput, mW. */
export function uploadPowerMw(uplink: Uplink): number {
  return uplink.alphaMwPerMbps * uplink.bandwidthMbps + uplink.betaMw;
}

/** Time to push `bytes` through the link, ms, without the round trip. */
export function transferMs(bytes: number, uplink: Uplink): number {
  return (bytes * 8) / (uplink.bandwidthMbps * 1000);
}
