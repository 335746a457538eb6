import type { Logger } from 'pino';
import { MeshError } from '@bottlenet/errors';
import { selectPartition, type Selection } from '@bottlenet/planner';
import { MOBILE_ONLY_ID, Objective, type CloudView, type PlanReply } from '@bottlenet/protocol';
import type { CompiledAgentConfig } from '../config/index.js';
import type { GatewayClient } from '../client/index.js';
import type { AgentMetrics } from '../api/metrics.js';
import {
  Backoff,
  type Decision,
  type MobileLoadMeter,
  type SwitchingController,
} from '../control/index.js';
import type { ImageInput, ModelView } from '../runtime/types.js';
import { buildCandidates } from './candidates.js';
import type { DeviceLink } from './device-link.js';
import { newRequestId } from './request-id.js';
import type { DevicePower } from './device-power.js';
import type { Measurements } from './measurements.js';
import type { RequestPipeline } from './request-pipeline.js';

export interface PlanningLoopDeps {
  readonly config: CompiledAgentConfig;
  readonly model: ModelView;
  readonly client: GatewayClient;
  readonly controller: SwitchingController;
  readonly measurements: Measurements;
  readonly link: DeviceLink;
  readonly power: DevicePower;
  readonly load: MobileLoadMeter;
  readonly pipeline: RequestPipeline;
  readonly metrics: AgentMetrics;
  readonly logger: Logger;
  /** The image of the last request (probes resend it). */
  readonly lastImage: () => ImageInput | undefined;
  readonly onDecision: (d: Decision, selection: Selection, cloud: CloudView | undefined) => void;
  readonly onSwitch: (s: { from: string; to: string; why: string; reason: string }) => void;
}

/**
 * The control loop: every `planIntervalMs` (and, debounced, after a slow or failed request) asks the
 * gateway for its cloud view, runs the planner with the agent's own uplink, load and objective, and
 * hands the ranking to the switching controller. While the gateway is unreachable it keeps the last
 * choice and retries with exponential backoff. While mobile-only serves, one probe per round keeps the
 * view of the cloud current.
 */
export class PlanningLoop {
  cloud: CloudView | undefined;
  gatewayReachable = false;
  lastSelection: Selection | undefined;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private planning: Promise<void> | undefined;
  private lastTriggeredAt = -Infinity;
  private stopped = false;
  private probing = false;

  constructor(private readonly deps: PlanningLoopDeps) {
    this.backoff = new Backoff(
      deps.config.control.backoffInitialMs,
      deps.config.control.backoffMaxMs,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.planning;
  }

  /** Asks for a re-plan soon (debounced), e.g. after a slow or failed request. */
  trigger(reason: string): void {
    const now = performance.now();
    if (this.deps.config.strategy !== 'auto' || this.stopped || now - this.lastTriggeredAt < 250)
      return;
    this.lastTriggeredAt = now;
    void this.replan(reason);
  }

  /** One planning round: gateway cloud view + own measurements -> planner -> switching controller. */
  replan(reason: string): Promise<void> {
    if (this.planning !== undefined) return this.planning;
    this.planning = this.planRound(reason).finally(() => {
      this.planning = undefined;
    });
    return this.planning;
  }

  private async planRound(reason: string): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const { config: cfg, metrics } = this.deps;
    const mobileLoad = cfg.control.measureMobileLoad ? this.deps.load.sample() : 0;
    this.deps.power.refresh();
    let nextMs = cfg.control.planIntervalMs;
    try {
      const r = await this.deps.client.plan(
        this.planRequest(mobileLoad),
        Math.min(cfg.control.requestTimeoutMs, 2000),
      );
      this.deps.link.observePlan(r.totalMs);
      this.cloud = r.value.cloud;
      this.gatewayReachable = true;
      this.backoff.succeed();
      metrics.plans.inc({ reason, result: 'ok' });
      this.decide(reason, mobileLoad, r.value);
    } catch (err) {
      const e = MeshError.from(err);
      this.gatewayReachable = false;
      nextMs = this.backoff.fail();
      metrics.plans.inc({ reason, result: 'gateway_unreachable' });
      this.deps.logger.warn(
        { err: e.message, retryInMs: Math.round(nextMs) },
        'gateway unreachable; keeping the last choice',
      );
    }
    metrics.gatewayUp.set(this.gatewayReachable ? 1 : 0);
    metrics.mobileLoad.set(mobileLoad);
    const u = this.deps.link.current();
    metrics.bandwidth.set(u.bandwidthMbps);
    metrics.rtt.set(u.rttMs);
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.replan('periodic'), nextMs);
      this.timer.unref();
    }
  }

  private decide(reason: string, mobileLoad: number, reply: PlanReply): void {
    const { measurements, controller, metrics } = this.deps;
    const cloudMsOverride: Record<string, number> = {};
    for (const p of reply.cloud?.partitions ?? [])
      if (p.expectedCloudMs > 0) cloudMsOverride[p.partitionId] = p.expectedCloudMs;
    const pathMs = measurements.pathMs;
    if (pathMs !== undefined) {
      for (const [id, p] of measurements.profiles)
        if (id !== MOBILE_ONLY_ID)
          cloudMsOverride[id] = (cloudMsOverride[id] ?? p.cloudMs) + pathMs;
    }
    const cloudAvailable =
      reply.cloud === undefined || reply.cloud.stale || reply.cloud.healthyWorkers > 0;
    const selection = selectPartition({
      candidates: buildCandidates(
        this.deps.model,
        measurements.profiles,
        this.deps.power.computeMw,
      ),
      uplink: this.deps.link.current(),
      objective: this.deps.config.objective,
      mobileLoad: { utilisation: mobileLoad },
      cloudAvailable,
      cloudMsOverride,
      minAccuracy: Math.max(
        0,
        this.deps.model.baselineAccuracy - this.deps.config.control.maxAccuracyLossPts / 100,
      ),
    });
    this.lastSelection = selection;
    const value = (p: { latencyMs: number; energyMj: number }): number =>
      selection.objective === 'latency' ? p.latencyMs : p.energyMj;
    const ranked = [...selection.predictions].sort((a, b) => value(a) - value(b));
    const before = controller.currentCandidate;
    const d: Decision = controller.propose(ranked, reason);
    this.deps.onDecision(d, selection, reply.cloud);
    if (d.next === MOBILE_ONLY_ID && cloudAvailable)
      this.probe(ranked.find((p) => p.id !== MOBILE_ONLY_ID)?.id);
    if (d.next !== before) {
      metrics.switches.inc();
      metrics.current.reset();
      metrics.current.set({ candidate: d.next }, 1);
      this.deps.logger.info(
        { from: before, to: d.next, why: d.why, reason },
        'switching candidate',
      );
      this.deps.onSwitch({ from: before, to: d.next, why: d.why, reason });
    }
  }

  /**
   * While mobile-only serves, the cloud's service-time averages only move when someone uses it; one
   * probe request per planning round (the best cloud candidate, on the last image) keeps this agent's
   * view of the cloud current so that it can come back when the congestion is over.
   */
  private probe(candidate: string | undefined): void {
    const image = this.deps.lastImage();
    if (candidate === undefined || image === undefined || this.probing || this.stopped) return;
    this.probing = true;
    void this.deps.pipeline
      .sendCloud(candidate, image, `probe-${newRequestId()}`, 1)
      .then(
        () => this.deps.metrics.probes.inc({ candidate, result: 'ok' }),
        (err: unknown) => {
          this.deps.metrics.probes.inc({ candidate, result: 'failed' });
          this.deps.logger.debug({ candidate, err: MeshError.from(err).message }, 'probe failed');
        },
      )
      .finally(() => {
        this.probing = false;
      });
  }

  private planRequest(mobileLoad: number): Parameters<GatewayClient['plan']>[0] {
    const u = this.deps.link.current();
    const network = this.deps.link.profile?.name ?? 'custom';
    const custom = !(network === '3g' || network === '4g' || network === 'wifi');
    const computeMw = this.deps.power.computeMw;
    return {
      agentId: this.deps.config.deviceId,
      model: this.deps.model.name,
      version: this.deps.model.version,
      uplink: {
        bandwidthMbps: u.bandwidthMbps,
        rttMs: u.rttMs,
        network: custom ? 'custom' : network,
        alphaMwPerMbps: custom ? u.alphaMwPerMbps : undefined,
        betaMw: custom ? u.betaMw : undefined,
      },
      mobile: {
        load: mobileLoad,
        profiles: [...this.deps.measurements.profiles].map(([id, p]) => ({
          candidateId: id,
          mobileMs: p.mobileMs,
          powerMw: computeMw,
        })),
      },
      objective:
        this.deps.config.objective === 'latency'
          ? Objective.OBJECTIVE_LATENCY
          : Objective.OBJECTIVE_ENERGY,
      currentCandidateId: this.deps.controller.currentCandidate,
    };
  }
}
