import { Code, MeshError } from '@bottlenet/errors';
import type { Manifest } from '@bottlenet/model-repo';
import { CLOUD_ONLY, MOBILE_ONLY, type Candidate } from '@bottlenet/planner';
import { CLOUD_ONLY_ID, MOBILE_ONLY_ID } from '@bottlenet/protocol';

/** How the gateway fills in a candidate's idle profile when nothing measured is at hand. */
export interface ProfileDefaults {
  deviceGflops: number;
  devicePowerMw: number;
  cloudGflops: number;
  cloudOnlyBytesPerPixel: number;
}

/** A measured device profile by wire candidate id ("cloud", "mobile", or a partition id). */
export type MobileProfiles = ReadonlyMap<string, { mobileMs: number; powerMw: number }>;

/** The planner names the two non-partition candidates differently from the wire; these map them. */
export function toWireId(plannerId: string): string {
  return plannerId === CLOUD_ONLY
    ? CLOUD_ONLY_ID
    : plannerId === MOBILE_ONLY
      ? MOBILE_ONLY_ID
      : plannerId;
}

export function toPlannerId(wireId: string): string {
  return wireId === CLOUD_ONLY_ID ? CLOUD_ONLY : wireId === MOBILE_ONLY_ID ? MOBILE_ONLY : wireId;
}

interface ManifestProfiles {
  mobile?: Record<string, { mobileMs?: unknown; powerMw?: unknown }>;
  cloud?: Record<string, { cloudMs?: unknown }>;
  cloudOnlyBytes?: unknown;
}

/**
 * The candidate set of a manifest at idle. Each number comes from, in order: the agent's measured
 * profile (device side), the manifest's `profiles` (`mobile.<id>.{mobileMs,powerMw}`,
 * `cloud.<id>.cloudMs`, `cloudOnlyBytes`), else an estimate from the ONNX FLOPs and the configured
 * device / cloud speeds. A candidate that can be estimated by none of them is left out.
 */
export function buildCandidates(
  manifest: Manifest,
  mobile: MobileProfiles,
  d: ProfileDefaults,
): Candidate[] {
  const prof = (manifest.profiles ?? {}) as ManifestProfiles;
  const deviceMs = (
    id: string,
    flops: number | undefined,
  ): { ms: number; powerMw: number } | undefined => {
    const agent = mobile.get(id);
    if (agent !== undefined) return { ms: agent.mobileMs, powerMw: agent.powerMw };
    const m = prof.mobile?.[id];
    if (m !== undefined && typeof m.mobileMs === 'number' && typeof m.powerMw === 'number')
      return { ms: m.mobileMs, powerMw: m.powerMw };
    return flops === undefined
      ? undefined
      : { ms: flops / (d.deviceGflops * 1e6), powerMw: d.devicePowerMw };
  };
  const cloudMs = (id: string, flops: number | undefined): number | undefined => {
    const c = prof.cloud?.[id]?.cloudMs;
    if (typeof c === 'number') return c;
    return flops === undefined ? undefined : flops / (d.cloudGflops * 1e6);
  };
  const out: Candidate[] = [];
  const [ch, h, w] = manifest.input.shape;
  const cloudOnlyBytes =
    typeof prof.cloudOnlyBytes === 'number'
      ? prof.cloudOnlyBytes
      : ch * h * w * d.cloudOnlyBytesPerPixel;
  const coCloud = cloudMs(CLOUD_ONLY_ID, manifest.full.flops);
  if (coCloud !== undefined) {
    const enc = mobile.get(CLOUD_ONLY_ID) ?? { mobileMs: 0, powerMw: d.devicePowerMw };
    out.push({
      id: CLOUD_ONLY,
      kind: 'cloud-only',
      order: 0,
      mobileMs: enc.mobileMs,
      mobilePowerMw: enc.powerMw,
      cloudMs: coCloud,
      bytes: cloudOnlyBytes,
      accuracy: manifest.baselineAccuracy,
    });
  }
  let deepest = 0;
  for (const p of manifest.partitions) {
    deepest = Math.max(deepest, p.block);
    const dev = deviceMs(p.id, p.head.flops);
    const cl = cloudMs(p.id, p.tail.flops);
    if (dev === undefined || cl === undefined) continue;
    out.push({
      id: p.id,
      kind: 'split',
      order: Math.max(1, p.block),
      mobileMs: dev.ms,
      mobilePowerMw: dev.powerMw,
      cloudMs: cl,
      bytes: p.meanBytes,
      accuracy: p.accuracy,
    });
  }
  const mo = deviceMs(MOBILE_ONLY_ID, manifest.full.flops);
  if (mo !== undefined) {
    out.push({
      id: MOBILE_ONLY,
      kind: 'mobile-only',
      order: deepest + 1,
      mobileMs: mo.ms,
      mobilePowerMw: mo.powerMw,
      cloudMs: 0,
      bytes: 0,
      accuracy: manifest.baselineAccuracy,
    });
  }
  if (out.length === 0) {
    throw new MeshError(
      Code.FailedPrecondition,
      `model "${manifest.name}" has no candidate with a profile or FLOP counts to plan with`,
      { type: 'no_profile' },
    );
  }
  return out;
}
