import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Code, MeshError, codeToString, httpStatusOf } from '@bottlenet/errors';
import type { MobileAgent } from '../agent/agent.js';

export interface HttpApiOptions {
  readonly maxImageBytes: number;
  readonly logger?: Logger | undefined;
}

const imageTypes = [
  'image/jpeg',
  'image/x-portable-graymap',
  'image/x-portable-pixmap',
  'image/x-portable-anymap',
  'application/octet-stream',
];

/**
 * The agent's local API (bind it to localhost):
 * - `POST /v1/classify[?topK=n]` body = the image (JPEG or binary PGM/PPM) -> the result as JSON;
 * - `GET /v1/plan` the current candidate, the last decision and the planner's predictions;
 * - `POST /v1/plan` re-plan now; `GET /v1/stats` everything the agent knows; `GET /metrics` Prometheus;
 * - `GET /healthz`.
 * Errors are `{code, message, type}` with the HTTP status of the MeshError code.
 */
export function createHttpApi(agent: MobileAgent, options: HttpApiOptions): FastifyInstance {
  // fastify logs every request at info; the agent's own lines say what matters, so its child logs warnings only
  const logger = options.logger?.child({ component: 'http' }, { level: 'warn' }) as
    FastifyBaseLogger | undefined;
  const app = Fastify({ loggerInstance: logger, bodyLimit: options.maxImageBytes });
  app.addContentTypeParser(imageTypes, { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((err, _req, reply) => {
    const e = toMeshError(err, options.maxImageBytes);
    void reply
      .status(httpStatusOf(e.code))
      .send({ code: codeToString(e.code), message: e.rawMessage, type: e.type });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      code: 'not_found',
      message: `no route ${req.method} ${req.url}`,
      type: 'route_unknown',
    });
  });

  app.post<{ Querystring: { topK?: string } }>('/v1/classify', async (req) => {
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new MeshError(
        Code.InvalidArgument,
        `send the image as the request body (content-type one of ${imageTypes.join(', ')})`,
        {
          type: 'image_missing',
        },
      );
    }
    const k = req.query.topK === undefined ? 5 : Number(req.query.topK);
    if (!Number.isInteger(k) || k < 1 || k > 1000)
      throw new MeshError(
        Code.InvalidArgument,
        `topK must be an integer in 1..1000, got ${req.query.topK}`,
        { type: 'bad_top_k' },
      );
    return agent.classify(agent.decode(body), { topK: k });
  });
  app.get('/v1/plan', () => {
    const s = agent.status();
    return {
      candidate: s['candidate'],
      pending: s['pending'],
      lastDecision: s['lastDecision'],
      predictions: s['predictions'],
      cloud: s['cloud'],
    };
  });
  app.post('/v1/plan', async () => {
    await agent.replan('api');
    return agent.status()['lastDecision'] ?? {};
  });
  app.get('/v1/stats', () => agent.status());
  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', agent.metrics.registry.contentType);
    return agent.metrics.registry.metrics();
  });
  app.get('/healthz', () => ({ ok: true }));
  return app;
}

function toMeshError(err: unknown, maxImageBytes: number): MeshError {
  if (err instanceof MeshError) return err;
  const fe = err as { code?: string; statusCode?: number; message?: string };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new MeshError(Code.InvalidArgument, `image is larger than ${maxImageBytes} bytes`, {
      type: 'image_too_large',
    });
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new MeshError(
      Code.InvalidArgument,
      `unsupported content-type; send one of ${imageTypes.join(', ')}`,
      { type: 'bad_content_type' },
    );
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode < 500)
    return new MeshError(Code.InvalidArgument, fe.message ?? 'bad request', { cause: err });
  return MeshError.from(err, Code.Internal);
}
