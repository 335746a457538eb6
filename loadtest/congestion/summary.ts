// What the congestion run concludes from what it recorded: summary.json, the verdicts and the final
// line. Pure (no I/O, no clock), so that the verdict logic is unit-tested on synthetic records.
import type { K6Summary } from '../lib/k6.js';
import { deviceOrder, percentile, round, tally } from '../lib/stats.js';
import {
  REPORTED_PHASES,
  type AgentError,
  type AgentRecord,
  type BackgroundCounts,
  type CloudSample,
  type Phase,
  type SwitchRecord,
} from './traffic.js';

export const LIMITS = {
  adaptiveP95RatioMax: 2,
  fixedP95RatioMin: 3,
} as const;

/** One k6 script's results as summary.json records them. */
export interface K6Result extends K6Summary {
  exitCode: number | null;
  /** Distinct warning/error lines of its log (see k6ErrorLines). */
  errors: string[];
}

export interface SummaryInput {
  /** As summary.json records them (optionsRecord). */
  options: Record<string, string>;
  k6Version: string;
  durationS: number;
  k6WallS: number;
  loadAverage: string;
  /** The agents' names: the planning one and the one pinned to a partition. */
  agents: { adaptive: string; fixed: string };
  /** Partition id -> block index, from the model's manifest (how deep a split is). */
  blocks: ReadonlyMap<string, number>;
  records: readonly AgentRecord[];
  errors: readonly AgentError[];
  switches: readonly SwitchRecord[];
  cloudSamples: readonly CloudSample[];
  /** Agent requests started. */
  sent: number;
  background: BackgroundCounts;
  k6: { gateway: K6Result; grpc: K6Result };
}

export interface PhaseStats {
  n: number;
  p50Ms: number;
  p95Ms: number;
  /** Mean deviceOrder of the candidates used: higher is closer to the device. */
  meanDeviceOrder: number;
  candidates: Record<string, number>;
  answeredBy: Record<string, number>;
}

export interface Verdicts {
  adaptiveWithin2x: boolean;
  fixedPast3x: boolean;
  movedTowardDevice: boolean;
  noRequestLost: boolean;
}

/** summary.json; the key order is the file's. */
export interface CongestionSummary {
  options: Record<string, string>;
  k6Version: string;
  durationS: number;
  k6WallS: number;
  loadAverage: string;
  agents: Record<string, Record<string, PhaseStats>>;
  ratios: { adaptiveP95: number; adaptiveP95IncludingRamp: number; fixedP95: number };
  cloud: {
    baselineMeanLoadLevel: number;
    congestedMeanLoadLevel: number;
    congestedMaxQueueDepth: number;
    baselineMaxExpectedCloudMs: number;
    congestedMaxExpectedCloudMs: number;
  };
  switches: SwitchRecord[];
  agentRequests: { sent: number; answered: number; lost: number; errors: AgentError[] };
  background: BackgroundCounts;
  k6: { gateway: K6Result; grpc: K6Result };
  limits: typeof LIMITS;
  verdicts: Verdicts;
  pass: boolean;
}

export interface CongestionReport {
  summary: CongestionSummary;
  /** Human-readable lines for the run's log: one per agent, then the cloud and k6. */
  lines: string[];
  /** `congestion: adaptive_p95_ratio=... fixed_p95_ratio=... moved_toward_device=... lost=... k6_http_reqs=... k6_grpc_reqs=...` */
  finalLine: string;
}

/**
 * k6 logs each request that got no answer ("Request Failed", with the error) at warn/error level;
 * the distinct ones (without their timestamps, at most 10, each cut at 300 characters) say why.
 */
export function k6ErrorLines(log: string): string[] {
  return [
    ...new Set(
      log
        .split('\n')
        .filter((l) => /level=(warn|error)/.test(l))
        .map((l) => l.replace(/^time="[^"]*" /, '').slice(0, 300)),
    ),
  ].slice(0, 10);
}

function phaseStats(rs: readonly AgentRecord[], blocks: ReadonlyMap<string, number>): PhaseStats {
  const lat = rs.map((r) => r.latencyMs);
  return {
    n: rs.length,
    p50Ms: round(percentile(lat, 50)),
    p95Ms: round(percentile(lat, 95)),
    meanDeviceOrder: round(
      rs.reduce((s, r) => s + deviceOrder(r.candidate, blocks), 0) / Math.max(1, rs.length),
    ),
    candidates: tally(rs.map((r) => r.candidate)),
    answeredBy: tally(rs.map((r) => r.answeredBy)),
  };
}

const mean = (xs: readonly number[]): number =>
  xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

export function summarize(input: SummaryInput): CongestionReport {
  const { records, blocks, cloudSamples, errors } = input;
  const names = [input.agents.adaptive, input.agents.fixed];
  const perAgent: Record<string, Record<Phase, PhaseStats>> = {};
  for (const name of names) {
    const byPhase = {} as Record<Phase, PhaseStats>;
    for (const ph of REPORTED_PHASES)
      byPhase[ph] = phaseStats(
        records.filter((r) => r.agent === name && r.phase === ph),
        blocks,
      );
    perAgent[name] = byPhase;
  }
  const adaptive = perAgent[input.agents.adaptive]!;
  const fixed = perAgent[input.agents.fixed]!;
  const adaptiveRatio = adaptive.congested.p95Ms / adaptive.baseline.p95Ms;
  // the ramp is where a planning agent has not switched yet; this ratio shows what that costs
  const adaptiveRatioWithRamp =
    percentile(
      records
        .filter(
          (r) =>
            r.agent === input.agents.adaptive && (r.phase === 'ramp' || r.phase === 'congested'),
        )
        .map((r) => r.latencyMs),
      95,
    ) / adaptive.baseline.p95Ms;
  const fixedRatio = fixed.congested.p95Ms / fixed.baseline.p95Ms;
  const moved = adaptive.congested.meanDeviceOrder > adaptive.baseline.meanDeviceOrder;
  const answered = records.length;
  const agentLost = input.sent - answered;
  const k6Lost = input.k6.gateway.lost + input.k6.grpc.lost;
  const congestedLoad = cloudSamples.filter((s) => s.phase === 'congested');
  const baselineLoad = cloudSamples.filter((s) => s.phase === 'baseline');
  const verdicts: Verdicts = {
    adaptiveWithin2x: adaptiveRatio <= LIMITS.adaptiveP95RatioMax,
    fixedPast3x: fixedRatio > LIMITS.fixedP95RatioMin,
    movedTowardDevice: moved,
    noRequestLost: agentLost === 0 && errors.length === 0 && k6Lost === 0,
  };
  const summary: CongestionSummary = {
    options: input.options,
    k6Version: input.k6Version,
    durationS: input.durationS,
    k6WallS: input.k6WallS,
    loadAverage: input.loadAverage,
    agents: perAgent,
    ratios: {
      adaptiveP95: round(adaptiveRatio),
      adaptiveP95IncludingRamp: round(adaptiveRatioWithRamp),
      fixedP95: round(fixedRatio),
    },
    cloud: {
      baselineMeanLoadLevel: round(mean(baselineLoad.map((x) => x.loadLevel))),
      congestedMeanLoadLevel: round(mean(congestedLoad.map((x) => x.loadLevel))),
      congestedMaxQueueDepth: Math.max(0, ...congestedLoad.map((x) => x.queueDepth)),
      baselineMaxExpectedCloudMs: round(
        Math.max(0, ...baselineLoad.map((x) => x.maxExpectedCloudMs)),
      ),
      congestedMaxExpectedCloudMs: round(
        Math.max(0, ...congestedLoad.map((x) => x.maxExpectedCloudMs)),
      ),
    },
    switches: [...input.switches],
    agentRequests: { sent: input.sent, answered, lost: agentLost, errors: [...errors] },
    background: input.background,
    k6: input.k6,
    limits: LIMITS,
    verdicts,
    pass: Object.values(verdicts).every(Boolean),
  };
  const lines = names.map(
    (name) =>
      `${name}: ${REPORTED_PHASES.map((p) => {
        const x = perAgent[name]![p];
        return `${p} n=${x.n} p50=${x.p50Ms} p95=${x.p95Ms} ${JSON.stringify(x.candidates)}`;
      }).join(' | ')}`,
  );
  lines.push(
    `cloud K: baseline ${summary.cloud.baselineMeanLoadLevel}, congested ${summary.cloud.congestedMeanLoadLevel}; k6 ${JSON.stringify(input.k6)}`,
  );
  // An agent request that threw is one of the sent-but-unanswered ones: counted once.
  const lost = agentLost + k6Lost;
  const finalLine =
    `congestion: adaptive_p95_ratio=${round(adaptiveRatio)} fixed_p95_ratio=${round(fixedRatio)} ` +
    `moved_toward_device=${String(moved)} lost=${lost} ` +
    `k6_http_reqs=${input.k6.gateway.requests} k6_grpc_reqs=${input.k6.grpc.requests}`;
  return { summary, lines, finalLine };
}
