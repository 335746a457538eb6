import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Code, MeshError } from '@bottlenet/errors';
import { selectPartition, type Selection, type Uplink } from '@bottlenet/planner';
import { CLOUD_ONLY_ID, MOBILE_ONLY_ID, Objective, type CloudView, type InferRequest, type PlanReply } from '@bottlenet/protocol';
import type { CompiledAgentConfig } from '../config/index.js';
import { GatewayClient } from '../client/index.js';
import { LinkEmulator, UplinkEstimator, resolveLinkProfile, uploadPowerMw, LINK_PRESETS, type LinkProfile } from '../link/index.js';
import { JetsonPower, profileComputeMw } from '../energy/index.js';
import { Backoff, MobileLoadMeter, SwitchingController, type Decision } from '../control/index.js';
import { AgentMetrics } from '../api/metrics.js';
import type { AgentCodec, ImageInput, ModelRuntime } from '../runtime/types.js';
import { topK, type ClassScore } from '../runtime/top-k.js';
import { buildCandidates, tailShare, type CandidateProfile } from './candidates.js';

/** The answer to one classification, with where it ran and what it cost. */
export interface ClassifyResult {
  readonly requestId: string;
  readonly top: readonly ClassScore[];
  /** The candidate chosen for this request. */
  readonly candidate: string;
  /** Who answered: `cloud`, `mobile` (mobile-only by choice) or `fallback` (mobile-only after a cloud failure). */
  readonly answeredBy: 'cloud' | 'mobile' | 'fallback';
  readonly fallbackReason: string | undefined;
  readonly latencyMs: number;
  /** Device compute (normalise, head or full network, codec), ms. */
  readonly mobileMs: number;
  /** The head's (or full network's) session run alone, ms. */
  readonly sessionMs: number;
  /** From handing the body to the link until the reply, ms (0 when nothing was sent). */
  readonly networkMs: number;
  /** Worker-reported time, ms. */
  readonly serverMs: number;
  /** Agent time outside session runs and the network, ms. */
  readonly overheadMs: number;
  readonly bytesSent: number;
  /** Device energy by the paper's model, mJ. */
  readonly energyMj: number;
}

export interface AgentDeps {
  readonly config: CompiledAgentConfig;
  readonly runtime: ModelRuntime;
  readonly codec: AgentCodec;
  readonly logger: Logger;
}

/**
 * The device daemon's core: hosts the heads and the full network, classifies images on the
 * candidate the switching controller holds, plans periodically and after slow or failed requests,
 * and answers every request - by mobile-only when the cloud fails.
 * Events: `decision` (Decision), `switch` ({from, to, why}), `result` (ClassifyResult).
 */
export class MobileAgent extends EventEmitter {
  readonly metrics = new AgentMetrics();
  readonly link: LinkProfile | undefined;
  private readonly emulator: LinkEmulator | undefined;
  private readonly client: GatewayClient;
  private readonly uplink: UplinkEstimator;
  private readonly load = new MobileLoadMeter();
  private readonly power: JetsonPower;
  private readonly backoff: Backoff;
  private readonly controller: SwitchingController;
  private readonly profiles = new Map<string, CandidateProfile>();
  private computeMw: number;
  private cloud: CloudView | undefined;
  private gatewayReachable = false;
  private lastSelection: Selection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private planning: Promise<void> | undefined;
  private lastTriggeredAt = -Infinity;
  private stopped = false;
  private lastImage: ImageInput | undefined;
  /** Emulated links only: EWMA of the cloud-side path time outside the worker (gateway, gRPC), ms. */
  private pathMs: number | undefined;
  private probing = false;
  private readonly counts = { requests: 0, cloud: 0, mobile: 0, fallback: 0, bytes: 0, energyMj: 0 };

  constructor(private readonly deps: AgentDeps) {
    super();
    const c = deps.config;
    this.link = resolveLinkProfile(c.link);
    this.emulator = this.link !== undefined && c.link.emulate ? new LinkEmulator(this.link.bandwidthMbps, this.link.rttMs) : undefined;
    this.client = new GatewayClient({ baseUrl: c.gatewayUrl, token: c.apiToken, link: this.emulator });
    this.uplink = new UplinkEstimator(c.control.ewmaAlpha, this.link);
    this.power = new JetsonPower(c.energy.sysfsRoot);
    this.computeMw = profileComputeMw(c.energy.profile, c.energy.computeMw);
    this.backoff = new Backoff(c.control.backoffInitialMs, c.control.backoffMaxMs);
    const pinned = c.strategy === 'auto' ? undefined : normaliseId(c.strategy);
    if (pinned !== undefined && pinned !== CLOUD_ONLY_ID && pinned !== MOBILE_ONLY_ID && !deps.runtime.model.partitions.some((p) => p.id === pinned)) {
      badStrategy(c.strategy, deps.runtime);
    }
    this.controller = new SwitchingController({
      objective: c.objective,
      minGain: c.control.minGain,
      minHoldMs: c.control.minHoldMs,
      initial: pinned ?? MOBILE_ONLY_ID,
    });
  }

  get model(): ModelRuntime['model'] {
    return this.deps.runtime.model;
  }

  /** Measures every candidate's device time, asks for a first plan, and starts the planning loop. */
  async start(samples: readonly ImageInput[] = []): Promise<void> {
    await this.calibrate(samples);
    if (this.deps.config.strategy === 'auto') {
      await this.replan('startup');
      this.controller.acquire();
    }
    this.metrics.current.set({ candidate: this.controller.currentCandidate }, 1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.planning;
  }

  /** Decodes an uploaded image (JPEG or PNM) and checks it against the model's input. */
  decode(bytes: Uint8Array): ImageInput {
    const [c, h, w] = this.model.inputShape;
    const img = this.deps.codec.decodeImage(bytes, c === 1 ? 1 : 3);
    if (img.width !== w || img.height !== h) {
      throw new MeshError(Code.InvalidArgument, `image is ${img.width}x${img.height}, the model ${this.model.name} takes ${w}x${h}`, {
        type: 'image_wrong_size',
      });
    }
    return img;
  }

  /** Classifies one image on the current candidate; a cloud failure is answered by mobile-only. */
  async classify(image: ImageInput, options: { requestId?: string; topK?: number; force?: string } = {}): Promise<ClassifyResult> {
    const t0 = performance.now();
    const requestId = options.requestId ?? randomUUID();
    const k = options.topK ?? 5;
    // `force` runs one request on a given candidate without touching the controller (benchmarks, comparisons)
    const candidate = options.force !== undefined ? normaliseId(options.force) : this.controller.acquire();
    this.lastImage = image;
    const x = this.deps.runtime.normalise(image);
    let sessionMs = 0;
    let networkMs = 0;
    let serverMs = 0;
    let bytesSent = 0;
    let logits: Float32Array | undefined;
    let top: ClassScore[] | undefined;
    let answeredBy: ClassifyResult['answeredBy'] = 'cloud';
    let fallbackReason: string | undefined;
    if (candidate === MOBILE_ONLY_ID) {
      const s = performance.now();
      logits = await this.deps.runtime.runFull(x);
      sessionMs = performance.now() - s;
      answeredBy = 'mobile';
    } else {
      try {
        const r = await this.send(candidate, image, requestId, k, x);
        networkMs = r.networkMs;
        serverMs = r.serverMs;
        sessionMs = r.sessionMs;
        bytesSent = r.bytes;
        top = r.top;
      } catch (err) {
        const e = MeshError.from(err);
        fallbackReason = e.type ?? codeName(e);
        this.deps.logger.warn({ requestId, candidate, err: e.message }, 'cloud request failed; answering with mobile-only');
        this.metrics.fallbacks.inc({ reason: fallbackReason });
        const s = performance.now();
        logits = await this.deps.runtime.runFull(x);
        sessionMs += performance.now() - s;
        answeredBy = 'fallback';
        this.trigger('failed request');
      }
    }
    if (top === undefined) top = topK(logits!, this.model.classes, k);
    const latencyMs = performance.now() - t0;
    const mobileMs = latencyMs - networkMs;
    const overheadMs = Math.max(0, latencyMs - sessionMs - networkMs);
    const energyMj = this.energyOf(mobileMs, bytesSent, networkMs > 0);
    const result: ClassifyResult = {
      requestId, top, candidate, answeredBy, fallbackReason, latencyMs, mobileMs, sessionMs, networkMs, serverMs, overheadMs, bytesSent, energyMj,
    };
    this.record(result);
    return result;
  }

  private record(r: ClassifyResult): void {
    this.counts.requests++;
    this.counts[r.answeredBy]++;
    this.counts.bytes += r.bytesSent;
    this.counts.energyMj += r.energyMj;
    this.metrics.requests.inc({ candidate: r.candidate, answered_by: r.answeredBy });
    this.metrics.latency.observe({ candidate: r.candidate }, r.latencyMs / 1000);
    if (r.answeredBy !== 'fallback') this.metrics.overhead.observe(r.overheadMs / 1000);
    this.metrics.uploadBytes.inc({ candidate: r.candidate }, r.bytesSent);
    this.metrics.energy.inc({ candidate: r.candidate }, r.energyMj);
    if (r.answeredBy !== 'fallback') this.updateMobileMs(r.candidate, r.mobileMs);
    const predicted = this.lastSelection?.predictions.find((p) => p.id === r.candidate)?.latencyMs;
    if (r.answeredBy === 'cloud' && predicted !== undefined && r.latencyMs > this.deps.config.control.slowFactor * predicted + 5) {
      this.trigger('slow request');
    }
    this.emit('result', r);
  }

  /** Device energy of one request: TM * PM + transfer * PU + rtt * beta (the planner's model). */
  private energyOf(mobileMs: number, bytes: number, sent: boolean): number {
    const link = this.currentUplink();
    const transfer = sent ? (bytes * 8) / (link.bandwidthMbps * 1000) : 0;
    const rtt = sent ? link.rttMs : 0;
    const pm = this.power.available ? (this.power.readMw() ?? this.computeMw) : this.computeMw;
    return (mobileMs * pm + transfer * uploadPowerMw({ alphaU: link.alphaMwPerMbps, beta: link.betaMw }, link.bandwidthMbps) + rtt * link.betaMw) / 1000;
  }

  /** The uplink the planner sees: the configured link (emulated) or the measured averages. */
  currentUplink(): Uplink {
    const base = this.link ?? { ...LINK_PRESETS.wifi, name: 'measured' };
    const bw = this.emulator !== undefined ? base.bandwidthMbps : (this.uplink.bandwidthMbps ?? base.bandwidthMbps);
    const rtt = this.emulator !== undefined ? base.rttMs : (this.uplink.rttMs ?? base.rttMs);
    return { name: base.name, bandwidthMbps: bw, rttMs: rtt, alphaMwPerMbps: base.alphaU, betaMw: base.beta };
  }

  /**
   * Keeps TM current from real requests: the observed device time, scaled back to idle by the measured
   * utilisation (the planner stretches it again by `1 / (1 - u)`), as a moving average.
   */
  private updateMobileMs(id: string, observedMs: number): void {
    const p = this.profiles.get(id);
    if (p === undefined || !(observedMs >= 0)) return;
    const u = this.deps.config.control.measureMobileLoad ? this.load.utilisation : 0;
    const idle = observedMs * (1 - Math.min(0.95, u));
    p.mobileMs += this.deps.config.control.ewmaAlpha * (idle - p.mobileMs);
  }

  private updateBytes(id: string, bytes: number): void {
    const p = this.profiles.get(id);
    if (p !== undefined) p.bytes += this.deps.config.control.ewmaAlpha * (bytes - p.bytes);
  }

  /** Runs every head (with the encoder) and the full network a few times at idle: TM per candidate. */
  private async calibrate(samples: readonly ImageInput[]): Promise<void> {
    const [c, h, w] = this.model.inputShape;
    const blank: ImageInput = { pixels: new Uint8Array(c * h * w).fill(128), width: w, height: h, channels: c === 1 ? 1 : 3 };
    const imgs: readonly ImageInput[] = samples.length > 0 ? samples.slice(0, 3) : [blank];
    const fastest = async (f: (img: ImageInput) => Promise<unknown>): Promise<number> => {
      for (let i = 0; i < 2; i++) await f(imgs[0]!); // warm-up: first runs allocate and are slow
      const ts: number[] = [];
      for (let i = 0; i < 5; i++) {
        for (const img of imgs) {
          const s = performance.now();
          await f(img);
          ts.push(performance.now() - s);
        }
      }
      // the fastest run: TM at idle (the planner stretches it by the measured load); other processes on
      // the host only ever make a run slower
      return Math.min(...ts);
    };
    const rt = this.deps.runtime;
    const fullMs = await fastest((img) => rt.runFull(rt.normalise(img)));
    this.profiles.set(MOBILE_ONLY_ID, { mobileMs: fullMs, bytes: 0, cloudMs: 0 });
    let jpegBytes = 0;
    const jpegMs = await fastest((img) => {
      jpegBytes = this.deps.codec.encodeImage(img, 90).length;
      return Promise.resolve();
    });
    this.profiles.set(CLOUD_ONLY_ID, { mobileMs: jpegMs, bytes: samples.length > 0 ? jpegBytes : c * h * w * 0.25, cloudMs: fullMs });
    for (const p of this.model.partitions) {
      const ms = await fastest(async (img) => this.deps.codec.encodeFeatures(await rt.runHead(p.id, rt.normalise(img)), p.featureShape));
      this.profiles.set(p.id, { mobileMs: ms, bytes: p.meanBytes, cloudMs: fullMs * tailShare(this.model, p.id) });
    }
    this.deps.logger.info({ profiles: Object.fromEntries(this.profiles) }, 'calibrated candidate device times');
  }

  /** Asks for a re-plan soon (debounced), e.g. after a slow or failed request. */
  trigger(reason: string): void {
    const now = performance.now();
    if (this.deps.config.strategy !== 'auto' || this.stopped || now - this.lastTriggeredAt < 250) return;
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
    const cfg = this.deps.config;
    const mobileLoad = this.deps.config.control.measureMobileLoad ? this.load.sample() : 0;
    if (this.power.available) this.computeMw = this.power.readMw() ?? this.computeMw;
    let nextMs = cfg.control.planIntervalMs;
    try {
      const r = await this.client.plan(this.planRequest(mobileLoad), Math.min(cfg.control.requestTimeoutMs, 2000));
      if (this.emulator === undefined) this.uplink.observeRtt(r.totalMs);
      this.cloud = r.value.cloud;
      this.gatewayReachable = true;
      this.backoff.succeed();
      this.metrics.plans.inc({ reason, result: 'ok' });
      this.decide(reason, mobileLoad, r.value);
    } catch (err) {
      const e = MeshError.from(err);
      this.gatewayReachable = false;
      nextMs = this.backoff.fail();
      this.metrics.plans.inc({ reason, result: 'gateway_unreachable' });
      this.deps.logger.warn({ err: e.message, retryInMs: Math.round(nextMs) }, 'gateway unreachable; keeping the last choice');
    }
    this.metrics.gatewayUp.set(this.gatewayReachable ? 1 : 0);
    this.metrics.mobileLoad.set(mobileLoad);
    const u = this.currentUplink();
    this.metrics.bandwidth.set(u.bandwidthMbps);
    this.metrics.rtt.set(u.rttMs);
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.replan('periodic'), nextMs);
      this.timer.unref();
    }
  }

  private decide(reason: string, mobileLoad: number, reply: PlanReply): void {
    const cloudMsOverride: Record<string, number> = {};
    for (const p of reply.cloud?.partitions ?? []) if (p.expectedCloudMs > 0) cloudMsOverride[p.partitionId] = p.expectedCloudMs;
    if (this.pathMs !== undefined) {
      for (const [id, p] of this.profiles) if (id !== MOBILE_ONLY_ID) cloudMsOverride[id] = (cloudMsOverride[id] ?? p.cloudMs) + this.pathMs;
    }
    const cloudAvailable = reply.cloud === undefined || reply.cloud.stale || reply.cloud.healthyWorkers > 0;
    const selection = selectPartition({
      candidates: buildCandidates(this.model, this.profiles, this.computeMw),
      uplink: this.currentUplink(),
      objective: this.deps.config.objective,
      mobileLoad: { utilisation: mobileLoad },
      cloudAvailable,
      cloudMsOverride,
    });
    this.lastSelection = selection;
    const value = (p: { latencyMs: number; energyMj: number }): number => (selection.objective === 'latency' ? p.latencyMs : p.energyMj);
    const ranked = [...selection.predictions].sort((a, b) => value(a) - value(b));
    const before = this.controller.currentCandidate;
    const d: Decision = this.controller.propose(ranked, reason);
    this.emit('decision', d, selection, reply.cloud);
    if (d.next === MOBILE_ONLY_ID && cloudAvailable) this.probe(ranked.find((p) => p.id !== MOBILE_ONLY_ID)?.id);
    if (d.next !== before) {
      this.metrics.switches.inc();
      this.metrics.current.reset();
      this.metrics.current.set({ candidate: d.next }, 1);
      this.deps.logger.info({ from: before, to: d.next, why: d.why, reason }, 'switching candidate');
      this.emit('switch', { from: before, to: d.next, why: d.why, reason });
    }
  }

  /** Runs the device part of a cloud candidate and sends it; updates the uplink and byte estimates. */
  private async send(
    candidate: string,
    image: ImageInput,
    requestId: string,
    k: number,
    input?: Float32Array,
  ): Promise<{ top: ClassScore[]; networkMs: number; serverMs: number; sessionMs: number; bytes: number }> {
    let payload: InferRequest['payload'];
    let sessionMs = 0;
    if (candidate === CLOUD_ONLY_ID) {
      payload = { $case: 'inputImage', inputImage: asBuffer(this.deps.codec.encodeImage(image, 90)) };
    } else {
      const part = this.model.partitions.find((p) => p.id === candidate);
      if (part === undefined) throw new MeshError(Code.NotFound, `no partition "${candidate}" in ${this.model.name}`, { type: 'partition_unknown' });
      const x = input ?? this.deps.runtime.normalise(image);
      const s = performance.now();
      const features = await this.deps.runtime.runHead(candidate, x);
      sessionMs = performance.now() - s;
      payload = { $case: 'featureFrame', featureFrame: asBuffer(this.deps.codec.encodeFeatures(features, part.featureShape)) };
    }
    const timeoutMs = this.deps.config.control.requestTimeoutMs;
    const r = await this.client.infer(
      { model: this.model.name, version: this.model.version, partitionId: candidate, payload, timeoutMs, requestId, topK: k },
      timeoutMs,
    );
    const networkMs = r.totalMs;
    const serverMs = (r.value.timings?.totalUs ?? 0) / 1000;
    if (this.emulator !== undefined) {
      // the link is known: what is left after its serialisation and round trip is the cloud-side path
      // (gateway, gRPC hop, queues before the worker), which counts as cloud time, not radio time
      const path = networkMs - serverMs - this.emulator.transmitMs(r.bytes) - this.emulator.rttMs;
      if (Number.isFinite(path)) this.pathMs = this.pathMs === undefined ? Math.max(0, path) : this.pathMs + this.deps.config.control.ewmaAlpha * (Math.max(0, path) - this.pathMs);
    } else {
      this.uplink.observeTransfer(r.bytes, networkMs - serverMs);
    }
    this.updateBytes(candidate, r.bytes);
    const top = r.value.topK.map((sc) => ({ classIndex: sc.classIndex, label: sc.label, score: sc.score }));
    return { top, networkMs, serverMs, sessionMs, bytes: r.bytes };
  }

  /**
   * While mobile-only serves, the cloud's service-time averages only move when someone uses it; one
   * probe request per planning round (the best cloud candidate, on the last image) keeps this agent's
   * view of the cloud current so that it can come back when the congestion is over.
   */
  private probe(candidate: string | undefined): void {
    const image = this.lastImage;
    if (candidate === undefined || image === undefined || this.probing || this.stopped) return;
    this.probing = true;
    void this.send(candidate, image, `probe-${randomUUID()}`, 1)
      .then(
        () => this.metrics.probes.inc({ candidate, result: 'ok' }),
        (err: unknown) => {
          this.metrics.probes.inc({ candidate, result: 'failed' });
          this.deps.logger.debug({ candidate, err: MeshError.from(err).message }, 'probe failed');
        },
      )
      .finally(() => {
        this.probing = false;
      });
  }

  private planRequest(mobileLoad: number): Parameters<GatewayClient['plan']>[0] {
    const u = this.currentUplink();
    const network = this.link?.name ?? 'custom';
    const custom = !(network === '3g' || network === '4g' || network === 'wifi');
    return {
      agentId: this.deps.config.deviceId,
      model: this.model.name,
      version: this.model.version,
      uplink: {
        bandwidthMbps: u.bandwidthMbps,
        rttMs: u.rttMs,
        network: custom ? 'custom' : network,
        alphaMwPerMbps: custom ? u.alphaMwPerMbps : undefined,
        betaMw: custom ? u.betaMw : undefined,
      },
      mobile: {
        load: mobileLoad,
        profiles: [...this.profiles].map(([id, p]) => ({ candidateId: id, mobileMs: p.mobileMs, powerMw: this.computeMw })),
      },
      objective: this.deps.config.objective === 'latency' ? Objective.OBJECTIVE_LATENCY : Objective.OBJECTIVE_ENERGY,
      currentCandidateId: this.controller.currentCandidate,
    };
  }

  /** The state the local API's `/v1/plan` and `/v1/stats` and the CLI show. */
  status(): Record<string, unknown> {
    const d = this.controller.lastDecision;
    return {
      deviceId: this.deps.config.deviceId,
      model: `${this.model.name}@${this.model.version}`,
      objective: this.deps.config.objective,
      strategy: this.deps.config.strategy,
      candidate: this.controller.currentCandidate,
      pending: this.controller.pendingCandidate,
      lastDecision: d,
      switches: this.controller.switchCount,
      gatewayReachable: this.gatewayReachable,
      link: this.link === undefined ? undefined : { ...this.link, emulated: this.emulator !== undefined },
      uplink: this.uplink.snapshot(),
      cloudPathMs: this.pathMs,
      mobileUtilisation: this.load.utilisation,
      computePowerMw: this.computeMw,
      powerSource: this.power.available ? `sysfs:${this.power.railNames.join('+')}` : `profile:${this.deps.config.energy.profile}`,
      cloud: this.cloud,
      predictions: this.lastSelection?.predictions,
      profiles: Object.fromEntries(this.profiles),
      counts: { ...this.counts },
    };
  }
}

function normaliseId(s: string): string {
  if (s === 'cloud-only' || s === CLOUD_ONLY_ID) return CLOUD_ONLY_ID;
  if (s === 'mobile-only' || s === MOBILE_ONLY_ID) return MOBILE_ONLY_ID;
  return s;
}

function badStrategy(s: string, rt: ModelRuntime): never {
  throw new MeshError(
    Code.InvalidArgument,
    `config field /strategy "${s}" is not auto, cloud-only, mobile-only or a partition of ${rt.model.name} (${rt.model.partitions.map((p) => p.id).join(', ')})`,
    { type: 'bad_config' },
  );
}

function codeName(e: MeshError): string {
  return e.message.slice(1, e.message.indexOf(']'));
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
