import { Code, MeshError } from '@bottlenet/errors';
import { CLOUD_ONLY_ID, DEFAULT_TOP_K, MOBILE_ONLY_ID } from '@bottlenet/protocol';
import type { GatewayClient, InferCall } from '../client/index.js';
import type { AgentCodec, ImageInput, ModelRuntime } from '../runtime/types.js';
import { topK, type ClassScore } from '../runtime/top-k.js';
import type { DeviceLink } from './device-link.js';
import type { Measurements } from './measurements.js';
import type { FaultHandler } from './fault-handling.js';

/** One request's answer and its timings, before the agent adds latency, energy and bookkeeping. */
export interface RequestOutcome {
  readonly top: readonly ClassScore[];
  readonly answeredBy: 'cloud' | 'mobile' | 'fallback';
  readonly fallbackReason: string | undefined;
  readonly sessionMs: number;
  readonly networkMs: number;
  readonly serverMs: number;
  readonly bytesSent: number;
}

/** A cloud candidate's round trip. */
export interface CloudOutcome {
  readonly top: ClassScore[];
  readonly networkMs: number;
  readonly serverMs: number;
  readonly sessionMs: number;
  readonly bytes: number;
}

export interface RequestPipelineDeps {
  readonly runtime: ModelRuntime;
  readonly codec: AgentCodec;
  readonly client: GatewayClient;
  readonly link: DeviceLink;
  readonly measurements: Measurements;
  readonly faults: FaultHandler;
  readonly requestTimeoutMs: number;
}

/** Normalised-input buffers kept for reuse (one per request in flight; a few spare). */
const SPARE_BUFFERS = 4;

/**
 * The per-request device work: normalise the image (into a reused buffer), then mobile-only (the full
 * network), or head_j + codec (or the input as JPEG for cloud-only) and `Infer` to the gateway; a cloud
 * failure is answered by the full network on the device. Updates the byte and cloud-path estimates
 * from every transfer.
 */
export class RequestPipeline {
  private readonly spare: Float32Array[] = [];
  private readonly model: ModelRuntime['model'];
  private readonly partitions: ReadonlyMap<string, ModelRuntime['model']['partitions'][number]>;

  constructor(private readonly deps: RequestPipelineDeps) {
    this.model = deps.runtime.model;
    this.partitions = new Map(this.model.partitions.map((p) => [p.id, p]));
  }

  /** Classifies `image` on `candidate`; never fails for a cloud reason (the fallback answers). */
  async run(
    candidate: string,
    image: ImageInput,
    requestId: string,
    k: number,
  ): Promise<RequestOutcome> {
    const x = this.take();
    try {
      // cloud-only sends the image itself: it is normalised only when the fallback needs it
      let normalised = candidate !== CLOUD_ONLY_ID;
      if (normalised) this.deps.runtime.normalise(image, x);
      if (candidate === MOBILE_ONLY_ID) {
        const s = performance.now();
        const logits = await this.deps.runtime.runFull(x);
        const sessionMs = performance.now() - s;
        return {
          top: topK(logits, this.model.classes, k),
          answeredBy: 'mobile',
          fallbackReason: undefined,
          sessionMs,
          networkMs: 0,
          serverMs: 0,
          bytesSent: 0,
        };
      }
      let sessionMs = 0;
      try {
        const r = await this.sendCloud(candidate, image, requestId, k, x);
        return {
          top: r.top,
          answeredBy: 'cloud',
          fallbackReason: undefined,
          sessionMs: r.sessionMs,
          networkMs: r.networkMs,
          serverMs: r.serverMs,
          bytesSent: r.bytes,
        };
      } catch (err) {
        const fallbackReason = this.deps.faults.cloudFailed(err, requestId, candidate);
        if (!normalised) {
          this.deps.runtime.normalise(image, x);
          normalised = true;
        }
        const s = performance.now();
        const logits = await this.deps.runtime.runFull(x);
        sessionMs += performance.now() - s;
        return {
          top: topK(logits, this.model.classes, k),
          answeredBy: 'fallback',
          fallbackReason,
          sessionMs,
          networkMs: 0,
          serverMs: 0,
          bytesSent: 0,
        };
      }
    } finally {
      this.give(x);
    }
  }

  /**
   * Runs the device part of a cloud candidate and sends it (`input`: the normalised image, when the
   * caller has it); updates the uplink, path and byte estimates.
   */
  async sendCloud(
    candidate: string,
    image: ImageInput,
    requestId: string,
    k: number,
    input?: Float32Array,
  ): Promise<CloudOutcome> {
    let payload: InferCall['payload'];
    let sessionMs = 0;
    if (candidate === CLOUD_ONLY_ID) {
      payload = { $case: 'inputImage', inputImage: this.deps.codec.encodeImage(image, 90) };
    } else {
      const part = this.partitions.get(candidate);
      if (part === undefined)
        throw new MeshError(Code.NotFound, `no partition "${candidate}" in ${this.model.name}`, {
          type: 'partition_unknown',
        });
      const x = input ?? this.take();
      try {
        if (input === undefined) this.deps.runtime.normalise(image, x);
        const s = performance.now();
        const features = await this.deps.runtime.runHead(candidate, x);
        sessionMs = performance.now() - s;
        payload = {
          $case: 'featureFrame',
          featureFrame: this.deps.codec.encodeFeatures(features, part),
        };
      } finally {
        if (input === undefined) this.give(x);
      }
    }
    const timeoutMs = this.deps.requestTimeoutMs;
    // 0 is the protocol's "default top-k": the field is then left off the wire (2 bytes of uplink)
    const topK = k === DEFAULT_TOP_K ? 0 : k;
    const r = await this.deps.client.infer(
      this.model,
      { partitionId: candidate, payload, timeoutMs, requestId, topK },
      timeoutMs,
    );
    const networkMs = r.totalMs;
    const serverMs = r.value.totalUs / 1000;
    this.deps.measurements.observePath(this.deps.link.observeInfer(r.bytes, networkMs, serverMs));
    this.deps.measurements.observeBytes(candidate, r.bytes);
    const top = r.value.topK.map((sc) => ({
      classIndex: sc.classIndex,
      label: sc.label,
      score: sc.score,
    }));
    return { top, networkMs, serverMs, sessionMs, bytes: r.bytes };
  }

  private take(): Float32Array {
    return this.spare.pop() ?? new Float32Array(this.deps.runtime.inputLength);
  }

  private give(x: Float32Array): void {
    if (this.spare.length < SPARE_BUFFERS) this.spare.push(x);
  }
}
