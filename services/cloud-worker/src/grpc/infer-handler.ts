import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { Code, MeshError, codeToString } from '@bottlenet/errors';
import {
  decodeFeatureFrameInto,
  decodeJpegImage,
  type FrameLimits,
} from '@bottlenet/bottleneck-codec';
import { normalizeInput, topK } from '@bottlenet/model-repo';
import { CLOUD_ONLY_ID, type InferReply, type InferRequest } from '@bottlenet/protocol';
import type { HostedPartition } from '../hosting/hosted-partition.js';
import type { ModelHost } from '../hosting/model-host.js';
import type { LoadReporter } from '../load/load-reporter.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { Logger } from '../logger.js';
import { asMeshError, toServiceError } from './service-error.js';

export interface InferContext {
  readonly workerId: string;
  readonly host: ModelHost;
  readonly reporter: LoadReporter;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  /** Why the worker does not take requests now (loading, draining), or undefined when it does. */
  readonly notServingReason: () => string | undefined;
  readonly frameLimits: FrameLimits;
  readonly defaultTopK: number;
}

/** What one request needs besides the message: when it arrived, its deadline and whether it is gone. */
export interface CallInfo {
  readonly arrivedAt: number;
  /** Monotonic (performance.now) deadline; Infinity for none. */
  readonly deadline: number;
  readonly isCancelled: () => boolean;
}

/**
 * Runs one Infer request: resolve the partition, decode the payload into a per-sample buffer (frame for
 * a tail, JPEG image for `cloud`), queue it to the partition's batcher, and build the reply with top-k,
 * stage timings and the load hint. Every failure is a MeshError with the code and a message naming what
 * was wrong.
 */
export async function runInfer(
  ctx: InferContext,
  req: InferRequest,
  call: CallInfo,
  resolved?: { part?: HostedPartition },
): Promise<InferReply> {
  const notServing = ctx.notServingReason();
  if (notServing !== undefined) {
    throw new MeshError(Code.Unavailable, `worker ${ctx.workerId} is not serving: ${notServing}`, {
      type: 'not_serving',
      details: { retryAfterMs: 1000 },
    });
  }
  if (req.model === '') throw invalid('the request names no model', 'model_missing');
  if (req.partitionId === '')
    throw invalid('the request names no partition_id', 'partition_missing');
  const part = ctx.host.resolve(req.model, req.version, req.partitionId);
  if (resolved !== undefined) resolved.part = part;
  const deadline =
    req.timeoutMs > 0 ? Math.min(call.deadline, call.arrivedAt + req.timeoutMs) : call.deadline;

  const t0 = performance.now();
  const input = decodePayload(part, req, ctx.frameLimits);
  const decodeMs = performance.now() - t0;
  part.observeDecode(decodeMs / 1000);

  const r = await part.batcher.submit(input, {
    deadline,
    arrivedAt: call.arrivedAt,
    isCancelled: call.isCancelled,
  });
  const k = req.topK > 0 ? req.topK : ctx.defaultTopK;
  const scores = topK(r.output.logits, part.classes, k, { offset: r.output.offset });
  return {
    requestId: req.requestId,
    topK: scores,
    timings: {
      queueUs: Math.round(r.queueMs * 1000),
      decodeUs: Math.round(decodeMs * 1000),
      computeUs: Math.round(r.computeMs * 1000),
      totalUs: Math.round((performance.now() - call.arrivedAt) * 1000),
      batchSize: r.batchSize,
    },
    load: ctx.reporter.loadHint(),
    workerId: ctx.workerId,
    model: part.model,
    version: part.version,
    partitionId: part.partitionId,
  };
}

/** Decodes the request's payload into a new per-sample float32 buffer of the partition's input shape. */
function decodePayload(
  part: HostedPartition,
  req: InferRequest,
  frameLimits: FrameLimits,
): Float32Array {
  const payload = req.payload;
  const out = new Float32Array(part.sampleSize);
  if (part.partitionId === CLOUD_ONLY_ID) {
    if (payload?.$case !== 'inputImage') {
      throw invalid(
        `partition "cloud" takes an input_image (a JPEG), the request carries ${describePayload(req)}`,
        'payload_kind',
      );
    }
    const [c, h, w] = part.inputShape;
    const image = decodeJpegImage(payload.inputImage, {
      channels: c === 1 ? 1 : 3,
      maxPixels: Math.max(4 * h * w, 1 << 20),
    });
    normalizeInput(
      part.inputSpec,
      { data: image.pixels, width: image.width, height: image.height, channels: image.channels },
      { out },
    );
    return out;
  }
  if (payload?.$case !== 'featureFrame') {
    throw invalid(
      `partition "${part.partitionId}" takes a feature_frame, the request carries ${describePayload(req)}`,
      'payload_kind',
    );
  }
  decodeFeatureFrameInto(payload.featureFrame, out, 0, part.inputShape, frameLimits);
  return out;
}

function describePayload(req: InferRequest): string {
  if (req.payload === undefined) return 'no payload';
  return req.payload.$case === 'featureFrame' ? 'a feature_frame' : 'an input_image';
}

function invalid(message: string, type: string): MeshError {
  return new MeshError(Code.InvalidArgument, message, { type });
}

/** The monotonic deadline of a grpc-js call (Infinity when the client set none). */
export function callDeadline(call: ServerUnaryCall<unknown, unknown>, now: number): number {
  const d = call.getDeadline();
  const at = d instanceof Date ? d.getTime() : d;
  if (!Number.isFinite(at)) return Infinity;
  return now + (at - Date.now());
}

/** The grpc-js handler around {@link runInfer}: metrics, status mapping, logging of server faults. */
export function inferHandler(ctx: InferContext) {
  return (
    call: ServerUnaryCall<InferRequest, InferReply>,
    callback: sendUnaryData<InferReply>,
  ): void => {
    const arrivedAt = performance.now();
    const req = call.request;
    const info: CallInfo = {
      arrivedAt,
      deadline: callDeadline(call, arrivedAt),
      isCancelled: () => call.cancelled,
    };
    const resolved: { part?: HostedPartition } = {};
    runInfer(ctx, req, info, resolved).then(
      (reply) => {
        recordOutcome(ctx, resolved.part, 'ok');
        callback(null, reply);
      },
      (e: unknown) => {
        const err = asMeshError(e);
        recordOutcome(ctx, resolved.part, codeToString(err.code));
        logFailure(ctx.logger, err, req);
        callback(toServiceError(err));
      },
    );
  };
}

const UNKNOWN_LABELS = { model: 'unknown', version: 'unknown', partition: 'unknown' } as const;

/** Counts a request under its partition (or `unknown` when it named none that exists). */
export function recordOutcome(
  ctx: InferContext,
  part: HostedPartition | undefined,
  code: string,
): void {
  part?.stats.recordCompleted();
  if (part !== undefined && code === 'ok') part.countOk();
  else ctx.metrics.requests.labels({ ...(part?.labels ?? UNKNOWN_LABELS), code }).inc();
}

/** Server faults at error level; client errors (bad input, overload, deadline) only at debug. */
export function logFailure(logger: Logger, err: MeshError, req: InferRequest): void {
  const fields = {
    requestId: req.requestId,
    model: req.model,
    partition: req.partitionId,
    code: codeToString(err.code),
    type: err.type,
  };
  if (err.code === Code.Internal || err.code === Code.Unknown)
    logger.error({ ...fields, err }, 'infer failed');
  else logger.debug({ ...fields, reason: err.rawMessage }, 'infer rejected');
}
