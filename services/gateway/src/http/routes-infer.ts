import type { FastifyInstance } from 'fastify';
import { Code, MeshError } from '@bottlenet/errors';
import { CLOUD_ONLY_ID, InferReply, InferRequest } from '@bottlenet/protocol';
import { forwardInfer, type CancelHandle } from '../routing/forward-infer.js';
import type { GatewayContext } from './context.js';
import { ErrorBody, InferHeaders } from './schemas.js';

export const PROTOBUF = 'application/x-protobuf';

/**
 * POST /v1/infer: a protobuf InferRequest in, the worker's InferReply out (protobuf, or JSON when
 * `Accept: application/json`). Headers on success: `x-bottlenet-worker`, `x-bottlenet-attempts`,
 * `x-bottlenet-load` (the worker's load hint), `x-bottlenet-view-stale` (1 when the view is stale or the
 * request went to a last known worker because the view had none for the partition).
 */
export function registerInferRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post(
    '/v1/infer',
    {
      config: { scope: 'infer' },
      schema: {
        summary: 'Run one split (or cloud-only) inference on the least-loaded worker',
        tags: ['data plane'],
        headers: InferHeaders,
        security: [{ bearer: [] }],
        response: {
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const arrivedAtMs = Date.now() - reply.elapsedTime;
      if (!Buffer.isBuffer(req.body)) {
        throw new MeshError(Code.InvalidArgument, `content-type must be ${PROTOBUF}`, {
          type: 'unsupported_media_type',
        });
      }
      const msg = decode(req.body);
      check(msg, ctx);
      const budget =
        msg.timeoutMs > 0
          ? Math.min(msg.timeoutMs, ctx.config.infer.maxTimeoutMs)
          : ctx.config.infer.defaultTimeoutMs;
      const cancel: CancelHandle = { cancelled: false, cancel: () => undefined };
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) {
          cancel.cancelled = true;
          cancel.cancel();
        }
      });
      const result = await forwardInfer({
        pool: ctx.pool,
        metrics: ctx.metrics,
        request: msg,
        requestBytes: req.body,
        requestId: msg.requestId || req.id,
        deadlineAtMs: arrivedAtMs + budget,
        suspectMs: ctx.config.infer.suspectMs,
        cancel,
      });
      const load = result.load;
      reply.header('x-bottlenet-worker', result.worker.id);
      reply.header('x-bottlenet-attempts', String(result.attempts));
      reply.header('x-bottlenet-view-stale', result.lastKnown || ctx.view.stale ? '1' : '0');
      if (load !== undefined) {
        reply.header(
          'x-bottlenet-load',
          `queueDepth=${String(load.queueDepth)};inFlight=${String(load.inFlight)};capacity=${String(load.capacity)};queueCapacity=${String(load.queueCapacity)}`,
        );
      }
      if ((req.headers.accept ?? '').includes('application/json')) {
        return reply
          .type('application/json')
          .send(InferReply.toJSON(InferReply.decode(result.replyBytes)));
      }
      return reply.type(PROTOBUF).send(result.replyBytes);
    },
  );
}

function decode(body: Buffer): InferRequest {
  try {
    return InferRequest.decode(body);
  } catch (err) {
    throw new MeshError(
      Code.InvalidArgument,
      `body is not a protobuf InferRequest: ${(err as Error).message}`,
      { type: 'bad_protobuf', cause: err },
    );
  }
}

function check(m: InferRequest, ctx: GatewayContext): void {
  const bad = (field: string, what: string): never => {
    throw new MeshError(Code.InvalidArgument, `body/${field} ${what}`, { type: 'validation' });
  };
  if (m.model === '') bad('model', 'is required');
  if (m.partitionId === '') bad('partitionId', 'is required');
  if (m.payload === undefined) bad('payload', 'is required (featureFrame or inputImage)');
  if (m.partitionId === CLOUD_ONLY_ID && m.payload?.$case !== 'inputImage')
    bad('inputImage', `is required with partitionId "${CLOUD_ONLY_ID}"`);
  if (m.partitionId !== CLOUD_ONLY_ID && m.payload?.$case !== 'featureFrame')
    bad('featureFrame', 'is required with a split partition');
  if (m.requestId.length > 128) bad('requestId', 'must be at most 128 characters');
  if (!ctx.catalogue.empty) {
    const manifest = ctx.catalogue.find(m.model, m.version);
    if (
      m.partitionId !== CLOUD_ONLY_ID &&
      !manifest.partitions.some((p) => p.id === m.partitionId)
    ) {
      throw new MeshError(
        Code.NotFound,
        `model "${manifest.name}" version "${manifest.version}" has no partition "${m.partitionId}"`,
        { type: 'partition_unknown' },
      );
    }
  }
}
