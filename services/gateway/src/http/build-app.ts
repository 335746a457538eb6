import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import { Code, MeshError, codeToString } from '@bottlenet/errors';
import type { Scope } from '../config/schema.js';
import { ApiKeys } from './auth.js';
import type { GatewayContext } from './context.js';
import { handleError } from './error-handler.js';
import { lazyChildLoggerFactory } from './lazy-logger.js';
import { RateLimiter } from './rate-limiter.js';
import { registerControlRoutes } from './routes-control.js';
import { registerHealthRoutes } from './routes-health.js';
import { registerInferRoute } from './routes-infer.js';
import { CandidatePredictionBody, CloudViewBody, ErrorBody } from './schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API-key scope a route needs; routes without one are open (health, metrics, OpenAPI). */
    scope?: Scope;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The gateway's fastify app: auth, rate limit, schemas, error mapping, metrics, OpenAPI, routes. */
export async function buildApp(ctx: GatewayContext, logger: Logger): Promise<FastifyInstance> {
  const log: FastifyBaseLogger = logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    bodyLimit: ctx.config.limits.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // The per-request child logger (request id bound) is made only when the request logs something.
    childLoggerFactory: lazyChildLoggerFactory,
    // Reject unknown fields instead of dropping them, and do not coerce: a typo or a string where a
    // number belongs is a 400 naming the field.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  const debug = logger.isLevelEnabled('debug');
  const keys = new ApiKeys(ctx.config.apiKeys);
  const limiter = new RateLimiter();

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'BottleNet mesh gateway',
        version: '1.0.0',
        description: 'Control plane for agents and data-plane entry (docs/control-plane.md).',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from the gateway config',
          },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${String(i)}`,
    },
    transformObject: (doc) => {
      const spec = 'openapiObject' in doc ? doc.openapiObject : doc.swaggerObject;
      const infer = (
        spec.paths as Record<string, Record<string, Record<string, unknown>>> | undefined
      )?.['/v1/infer']?.post;
      if (infer !== undefined) {
        infer.requestBody = {
          required: true,
          content: {
            'application/x-protobuf': {
              schema: {
                type: 'string',
                format: 'binary',
                description: 'bottlenet.v1.InferRequest (packages/protocol/proto)',
              },
            },
          },
        };
        const ok = {
          description: 'bottlenet.v1.InferReply',
          content: {
            'application/x-protobuf': { schema: { type: 'string', format: 'binary' } },
            'application/json': { schema: { type: 'object' } },
          },
        };
        infer.responses = { 200: ok, ...(infer.responses as object) };
      }
      return spec;
    },
  });
  app.addSchema(ErrorBody);
  app.addSchema(CloudViewBody);
  app.addSchema(CandidatePredictionBody);

  // Callback hooks, not async ones: no promise per hook per request.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    const callerId = req.headers['x-request-id'];
    if (callerId !== undefined && !REQUEST_ID.test(String(callerId))) {
      // A caller's id that is not safe to log or echo is replaced.
      (req as { id: string }).id = randomUUID();
      reply.header('x-request-id', req.id);
    }
    const scope = req.routeOptions.config.scope;
    if (scope === undefined) {
      done();
      return;
    }
    try {
      const principal = keys.authorize(req.headers.authorization, scope);
      limiter.take(principal.name, principal.ratePerSecond);
    } catch (err) {
      if (err instanceof MeshError)
        ctx.metrics.rejected.inc({ reason: err.type ?? codeToString(err.code) });
      done(err as Error);
      return;
    }
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.requests.inc({ route, status: String(reply.statusCode) });
    ctx.metrics.duration.observe({ route }, reply.elapsedTime / 1000);
    if (debug)
      req.log.debug({ route, status: reply.statusCode, ms: reply.elapsedTime }, 'request done');
    done();
  });
  app.setErrorHandler((err, req, reply) => {
    if ((err as { validation?: unknown }).validation !== undefined)
      ctx.metrics.rejected.inc({ reason: 'validation' });
    return handleError(err, req, reply);
  });
  app.setNotFoundHandler((req, reply) =>
    handleError(
      new MeshError(Code.NotFound, `no route ${req.method} ${req.url.split('?')[0] ?? ''}`, {
        type: 'route_unknown',
      }),
      req,
      reply,
    ),
  );

  registerHealthRoutes(app, ctx);
  registerControlRoutes(app, ctx);
  registerInferRoute(app, ctx);
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return app;
}
