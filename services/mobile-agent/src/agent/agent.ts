import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Code, MeshError } from '@bottlenet/errors';
import type { Uplink } from '@bottlenet/planner';
import { CLOUD_ONLY_ID, MOBILE_ONLY_ID } from '@bottlenet/protocol';
import type { CompiledAgentConfig } from '../config/index.js';
import { GatewayClient } from '../client/index.js';
import type { LinkProfile } from '../link/index.js';
import { MobileLoadMeter, SwitchingController } from '../control/index.js';
import { AgentMetrics } from '../api/metrics.js';
import type { AgentCodec, ImageInput, ModelRuntime } from '../runtime/types.js';
import type { ClassifyOptions, ClassifyResult } from './classify-result.js';
import { calibrate } from './calibration.js';
import { DeviceLink } from './device-link.js';
import { DevicePower } from './device-power.js';
import { FaultHandler } from './fault-handling.js';
import { Measurements } from './measurements.js';
import { PlanningLoop } from './planning-loop.js';
import { newRequestId } from './request-id.js';
import { RequestPipeline } from './request-pipeline.js';

export type { ClassifyOptions, ClassifyResult } from './classify-result.js';

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
 *
 * The work is split by job: `RequestPipeline` (device work + Infer), `FaultHandler` (fallback
 * bookkeeping), `PlanningLoop` (plan calls, planner, probes), `SwitchingController` (hysteresis),
 * `Measurements` (TM, D_j, cloud path, counts), `DeviceLink` / `DevicePower` (uplink and energy).
 */
export class MobileAgent extends EventEmitter {
  readonly metrics = new AgentMetrics();
  private readonly deviceLink: DeviceLink;
  private readonly power: DevicePower;
  private readonly load = new MobileLoadMeter();
  private readonly client: GatewayClient;
  private readonly controller: SwitchingController;
  private readonly measurements: Measurements;
  private readonly pipeline: RequestPipeline;
  private readonly planning: PlanningLoop;
  private lastImage: ImageInput | undefined;

  constructor(private readonly deps: AgentDeps) {
    super();
    const c = deps.config;
    this.deviceLink = new DeviceLink(c);
    this.power = new DevicePower(c);
    this.client = new GatewayClient({
      baseUrl: c.gatewayUrl,
      token: c.apiToken,
      link: this.deviceLink.emulator,
    });
    this.measurements = new Measurements(c.control.ewmaAlpha);
    const pinned = c.strategy === 'auto' ? undefined : normaliseId(c.strategy);
    if (
      pinned !== undefined &&
      pinned !== CLOUD_ONLY_ID &&
      pinned !== MOBILE_ONLY_ID &&
      !deps.runtime.model.partitions.some((p) => p.id === pinned)
    ) {
      badStrategy(c.strategy, deps.runtime);
    }
    this.controller = new SwitchingController({
      objective: c.objective,
      minGain: c.control.minGain,
      minHoldMs: c.control.minHoldMs,
      initial: pinned ?? MOBILE_ONLY_ID,
    });
    const faults = new FaultHandler(deps.logger, this.metrics, (reason) => this.trigger(reason));
    this.pipeline = new RequestPipeline({
      runtime: deps.runtime,
      codec: deps.codec,
      client: this.client,
      link: this.deviceLink,
      measurements: this.measurements,
      faults,
      requestTimeoutMs: c.control.requestTimeoutMs,
    });
    this.planning = new PlanningLoop({
      config: c,
      model: deps.runtime.model,
      client: this.client,
      controller: this.controller,
      measurements: this.measurements,
      link: this.deviceLink,
      power: this.power,
      load: this.load,
      pipeline: this.pipeline,
      metrics: this.metrics,
      logger: deps.logger,
      lastImage: () => this.lastImage,
      onDecision: (d, selection, cloud) => this.emit('decision', d, selection, cloud),
      onSwitch: (s) => this.emit('switch', s),
    });
  }

  get model(): ModelRuntime['model'] {
    return this.deps.runtime.model;
  }

  get link(): LinkProfile | undefined {
    return this.deviceLink.profile;
  }

  /** Measures every candidate's device time, asks for a first plan, and starts the planning loop. */
  async start(samples: readonly ImageInput[] = []): Promise<void> {
    for (const [id, p] of await calibrate(
      this.deps.runtime,
      this.deps.codec,
      samples,
      this.deps.logger,
    ))
      this.measurements.profiles.set(id, p);
    if (this.deps.config.strategy === 'auto') {
      await this.replan('startup');
      this.controller.acquire();
    }
    this.metrics.current.set({ candidate: this.controller.currentCandidate }, 1);
  }

  async stop(): Promise<void> {
    await this.planning.stop();
    await this.client.close();
  }

  /** Decodes an uploaded image (JPEG or PNM) and checks it against the model's input. */
  decode(bytes: Uint8Array): ImageInput {
    const [c, h, w] = this.model.inputShape;
    const img = this.deps.codec.decodeImage(bytes, c === 1 ? 1 : 3);
    if (img.width !== w || img.height !== h) {
      throw new MeshError(
        Code.InvalidArgument,
        `image is ${img.width}x${img.height}, the model ${this.model.name} takes ${w}x${h}`,
        {
          type: 'image_wrong_size',
        },
      );
    }
    return img;
  }

  /** Classifies one image on the current candidate; a cloud failure is answered by mobile-only. */
  async classify(image: ImageInput, options: ClassifyOptions = {}): Promise<ClassifyResult> {
    const t0 = performance.now();
    const requestId = options.requestId ?? newRequestId();
    const k = options.topK ?? 5;
    // `force` runs one request on a given candidate without touching the controller (benchmarks, comparisons)
    const candidate =
      options.force !== undefined ? normaliseId(options.force) : this.controller.acquire();
    this.lastImage = image;
    const o = await this.pipeline.run(candidate, image, requestId, k);
    const latencyMs = performance.now() - t0;
    const mobileMs = latencyMs - o.networkMs;
    const overheadMs = Math.max(0, latencyMs - o.sessionMs - o.networkMs);
    const energyMj = this.power.energyMj(
      this.deviceLink.current(),
      mobileMs,
      o.bytesSent,
      o.networkMs > 0,
    );
    const result: ClassifyResult = {
      requestId,
      top: o.top,
      candidate,
      answeredBy: o.answeredBy,
      fallbackReason: o.fallbackReason,
      latencyMs,
      mobileMs,
      sessionMs: o.sessionMs,
      networkMs: o.networkMs,
      serverMs: o.serverMs,
      overheadMs,
      bytesSent: o.bytesSent,
      energyMj,
    };
    this.record(result);
    return result;
  }

  private record(r: ClassifyResult): void {
    this.measurements.observeResult(
      r,
      this.deps.config.control.measureMobileLoad ? this.load.utilisation : 0,
    );
    const m = this.metrics.candidate(r.candidate);
    m.answered[r.answeredBy].inc();
    m.latency.observe(r.latencyMs / 1000);
    if (r.answeredBy !== 'fallback') this.metrics.overhead.observe(r.overheadMs / 1000);
    m.uploadBytes.inc(r.bytesSent);
    m.energy.inc(r.energyMj);
    const predicted = this.planning.lastSelection?.predictions.find(
      (p) => p.id === r.candidate,
    )?.latencyMs;
    if (
      r.answeredBy === 'cloud' &&
      predicted !== undefined &&
      r.latencyMs > this.deps.config.control.slowFactor * predicted + 5
    ) {
      this.trigger('slow request');
    }
    this.emit('result', r);
  }

  /** The uplink the planner sees: the configured link (emulated) or the measured averages. */
  currentUplink(): Uplink {
    return this.deviceLink.current();
  }

  /** Asks for a re-plan soon (debounced), e.g. after a slow or failed request. */
  trigger(reason: string): void {
    this.planning.trigger(reason);
  }

  /** One planning round: gateway cloud view + own measurements -> planner -> switching controller. */
  replan(reason: string): Promise<void> {
    return this.planning.replan(reason);
  }

  /** The state the local API's `/v1/plan` and `/v1/stats` and the CLI show. */
  status(): Record<string, unknown> {
    const link = this.deviceLink;
    return {
      deviceId: this.deps.config.deviceId,
      model: `${this.model.name}@${this.model.version}`,
      objective: this.deps.config.objective,
      strategy: this.deps.config.strategy,
      candidate: this.controller.currentCandidate,
      pending: this.controller.pendingCandidate,
      lastDecision: this.controller.lastDecision,
      switches: this.controller.switchCount,
      gatewayReachable: this.planning.gatewayReachable,
      link:
        link.profile === undefined
          ? undefined
          : { ...link.profile, emulated: link.emulator !== undefined },
      uplink: link.estimator.snapshot(),
      cloudPathMs: this.measurements.pathMs,
      mobileUtilisation: this.load.utilisation,
      computePowerMw: this.power.computeMw,
      powerSource: this.power.source,
      cloud: this.planning.cloud,
      predictions: this.planning.lastSelection?.predictions,
      profiles: Object.fromEntries(this.measurements.profiles),
      counts: { ...this.measurements.counts },
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
