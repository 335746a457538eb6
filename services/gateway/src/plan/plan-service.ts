import { Code, MeshError } from '@bottlenet/errors';
import type { CloudSummary } from '@bottlenet/load-monitor';
import {
  objectiveValue,
  selectPartition,
  uplinkPreset,
  type Prediction,
  type Uplink,
} from '@bottlenet/planner';
import type { Catalogue } from '../catalogue/catalogue.js';
import type {
  CandidatePredictionBodyT,
  CloudViewBodyT,
  PlanReplyBodyT,
  PlanRequestBodyT,
} from '../http/schemas.js';
import { buildCandidates, toPlannerId, toWireId, type ProfileDefaults } from './candidates.js';

export interface PlanServiceOptions extends ProfileDefaults {
  catalogue: Catalogue;
  /** The live view (possibly stale) and whether it is stale. */
  view: () => { summary: CloudSummary | undefined; stale: boolean };
  minRelativeGain: number;
}

const KIND = {
  'cloud-only': 'CANDIDATE_KIND_CLOUD_ONLY',
  split: 'CANDIDATE_KIND_SPLIT',
  'mobile-only': 'CANDIDATE_KIND_MOBILE_ONLY',
} as const;

/**
 * POST /v1/plan: Algorithm 1's selection for one agent, with the cloud side from the live view:
 * each partition's expected cloud time under the current load replaces the idle estimate, and the
 * pooled load stretches the rest. A model no ready worker serves leaves only mobile-only.
 */
export class PlanService {
  readonly #o: PlanServiceOptions;

  constructor(options: PlanServiceOptions) {
    this.#o = options;
  }

  plan(req: PlanRequestBodyT): PlanReplyBodyT {
    const manifest = this.#o.catalogue.find(req.model, req.version ?? '');
    const mobile = new Map(
      (req.mobile?.profiles ?? []).map((p) => [
        p.candidateId,
        { mobileMs: p.mobileMs, powerMw: p.powerMw },
      ]),
    );
    const candidates = buildCandidates(manifest, mobile, this.#o);
    const { summary, stale } = this.#o.view();
    const cloud = cloudView(summary, stale, manifest.name, manifest.version);
    const override: Record<string, number> = {};
    let served = false;
    for (const p of summary?.partitions ?? []) {
      if (p.model !== manifest.name || p.version !== manifest.version || p.workers === 0) continue;
      served = true;
      if (p.ewmaServiceMs > 0) override[toPlannerId(p.partitionId)] = p.expectedCloudMs;
    }
    const objective = req.objective === 'OBJECTIVE_ENERGY' ? 'energy' : 'latency';
    const selection = selectPartition({
      candidates,
      uplink: toUplink(req.uplink),
      objective,
      mobileLoad: { utilisation: req.mobile?.load ?? 0 },
      cloudLoad:
        summary === undefined
          ? undefined
          : {
              queueDepth: summary.queueDepth,
              inFlight: summary.inFlight,
              capacity: Math.max(1, summary.capacity),
              serviceTimeMs: meanService(summary),
            },
      cloudAvailable: served,
      cloudMsOverride: override,
    });
    const accuracy = new Map(candidates.map((c) => [c.id, c.accuracy ?? 0]));
    const bytes = new Map(candidates.map((c) => [c.id, c.bytes]));
    const toBody = (p: Prediction): CandidatePredictionBodyT => ({
      candidateId: toWireId(p.id),
      kind: KIND[p.kind],
      latencyMs: p.latencyMs,
      energyMj: p.energyMj,
      mobileMs: p.mobileMs,
      uploadMs: p.uploadMs,
      cloudMs: p.cloudMs,
      uploadBytes: p.kind === 'mobile-only' ? 0 : (bytes.get(p.id) ?? 0),
      accuracy: accuracy.get(p.id) ?? 0,
    });
    const ranked = [...selection.predictions].sort(
      (a, b) => objectiveValue(a, objective) - objectiveValue(b, objective),
    );
    const current = req.currentCandidateId
      ? selection.predictions.find((p) => toWireId(p.id) === req.currentCandidateId)
      : undefined;
    let doSwitch: boolean;
    if (!req.currentCandidateId) doSwitch = true;
    else if (current === undefined)
      doSwitch = true; // the current one is no longer eligible
    else if (current.id === selection.chosen.id) doSwitch = false;
    else {
      const cur = objectiveValue(current, objective);
      doSwitch = cur - objectiveValue(selection.chosen, objective) >= this.#o.minRelativeGain * cur;
    }
    return {
      model: manifest.name,
      version: manifest.version,
      objective: objective === 'energy' ? 'OBJECTIVE_ENERGY' : 'OBJECTIVE_LATENCY',
      cloud,
      chosen: toBody(selection.chosen),
      ...(selection.runnerUp === undefined ? {} : { runnerUp: toBody(selection.runnerUp) }),
      candidates: ranked.map(toBody),
      switch: doSwitch,
      generatedAtMs: Date.now(),
    };
  }
}

function toUplink(u: PlanRequestBodyT['uplink']): Uplink {
  const over: { bandwidthMbps: number; rttMs: number; alphaMwPerMbps?: number; betaMw?: number } = {
    bandwidthMbps: u.bandwidthMbps,
    rttMs: u.rttMs ?? 0,
  };
  if (u.alphaMwPerMbps !== undefined) over.alphaMwPerMbps = u.alphaMwPerMbps;
  if (u.betaMw !== undefined) over.betaMw = u.betaMw;
  if (u.network === 'custom') {
    if (u.alphaMwPerMbps === undefined || u.betaMw === undefined) {
      throw new MeshError(
        Code.InvalidArgument,
        'body/uplink/alphaMwPerMbps and body/uplink/betaMw are required when body/uplink/network is "custom"',
        {
          type: 'validation',
        },
      );
    }
    return {
      name: 'custom',
      bandwidthMbps: u.bandwidthMbps,
      rttMs: u.rttMs ?? 0,
      alphaMwPerMbps: u.alphaMwPerMbps,
      betaMw: u.betaMw,
    };
  }
  return uplinkPreset(u.network, over);
}

function meanService(s: CloudSummary): number {
  const xs = s.partitions.filter((p) => p.ewmaServiceMs > 0);
  return xs.length === 0 ? 0 : xs.reduce((a, p) => a + p.ewmaServiceMs, 0) / xs.length;
}

function cloudView(
  summary: CloudSummary | undefined,
  stale: boolean,
  model: string,
  version: string,
): CloudViewBodyT {
  if (summary === undefined)
    return { loadLevel: 1, partitions: [], stale: true, healthyWorkers: 0, updatedAtMs: 0 };
  return {
    loadLevel: summary.loadLevel,
    partitions: summary.partitions
      .filter((p) => p.model === model && p.version === version)
      .map((p) => ({
        partitionId: p.partitionId,
        expectedCloudMs: p.expectedCloudMs,
        queueDepth: p.queueDepth,
        ewmaServiceMs: p.ewmaServiceMs,
      })),
    stale,
    healthyWorkers: summary.healthyWorkers,
    updatedAtMs: summary.updatedAtMs,
  };
}
