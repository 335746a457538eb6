import { Code, MeshError } from '@bottlenet/errors';

/**
 * An uplink: bandwidth, round-trip time, and the paper's upload power model `PU = alphaU * tu + beta`
 * (mW, with `tu` the uplink throughput in Mbps). Values from BottleNet's Table 3; the round-trip
 * times are our stated assumption for the `rtt` link model (typical medians for each technology),
 * since the paper's model is bandwidth only.
 */
export interface LinkProfile {
  readonly name: string;
  readonly bandwidthMbps: number;
  readonly rttMs: number;
  readonly alphaU: number;
  readonly beta: number;
}

export const LINK_PRESETS: Readonly<Record<'3g' | '4g' | 'wifi', LinkProfile>> = Object.freeze({
  '3g': { name: '3g', bandwidthMbps: 1.1, rttMs: 100, alphaU: 868.98, beta: 817.88 },
  '4g': { name: '4g', bandwidthMbps: 5.85, rttMs: 50, alphaU: 438.39, beta: 1288.04 },
  wifi: { name: 'wifi', bandwidthMbps: 18.88, rttMs: 10, alphaU: 283.17, beta: 132.86 },
});

/** Upload power (mW) by the paper's model at a throughput (Mbps). */
export function uploadPowerMw(
  profile: Pick<LinkProfile, 'alphaU' | 'beta'>,
  throughputMbps: number,
): number {
  return profile.alphaU * throughputMbps + profile.beta;
}

export interface LinkSettings {
  preset: string;
  bandwidthMbps?: number | undefined;
  rttMs?: number | undefined;
  model?: 'paper' | 'rtt';
}

/**
 * Resolves link settings to a profile. `model: 'paper'` zeroes the round-trip time (bandwidth only,
 * as in the paper); `rtt` keeps it. `custom` takes the power model of the closest preset by bandwidth.
 * Returns undefined for `none` (no shaping, no prior).
 */
export function resolveLinkProfile(s: LinkSettings): LinkProfile | undefined {
  if (s.preset === 'none') return undefined;
  let base: LinkProfile;
  if (s.preset === 'custom') {
    if (s.bandwidthMbps === undefined) {
      throw new MeshError(Code.InvalidArgument, 'a custom link needs bandwidthMbps', {
        type: 'bad_config',
      });
    }
    const bw = s.bandwidthMbps;
    base = Object.values(LINK_PRESETS).reduce((a, b) =>
      Math.abs(Math.log(a.bandwidthMbps / bw)) <= Math.abs(Math.log(b.bandwidthMbps / bw)) ? a : b,
    );
    base = { ...base, name: 'custom' };
  } else {
    const p = (LINK_PRESETS as Record<string, LinkProfile | undefined>)[s.preset];
    if (p === undefined) {
      throw new MeshError(
        Code.InvalidArgument,
        `unknown link preset "${s.preset}" (3g, 4g, wifi, custom, none)`,
        {
          type: 'bad_config',
        },
      );
    }
    base = p;
  }
  const rtt = s.rttMs ?? base.rttMs;
  return {
    ...base,
    bandwidthMbps: s.bandwidthMbps ?? base.bandwidthMbps,
    rttMs: s.model === 'paper' && s.rttMs === undefined ? 0 : rtt,
  };
}
