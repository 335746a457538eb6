import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { partitionCodec } from '@bottlenet/model-repo';
import { PlanCache, type PlanCacheEntry } from '../plan/plan-cache.js';
import type { GatewayContext } from './context.js';
import {
  ErrorBody,
  ModelCatalogueBody,
  ModelsQuery,
  PlanReplyBody,
  PlanRequestBody,
  type ModelCatalogueBodyT,
  type PlanRequestBodyT,
} from './schemas.js';

const PLAN_PATH = '/v1/plan';
/** The raw JSON text of a parsed /v1/plan body (a symbol: invisible to the schema and to the planner). */
const RAW = Symbol('rawBody');
/** A /v1/plan body answered from the cache: not parsed, not validated (the same text passed both before). */
const CACHED = Symbol('cachedPlan');
const JSON_UTF8 = 'application/json; charset=utf-8';

interface CachedBody {
  [CACHED]: PlanCacheEntry;
}

/** POST /v1/plan and GET /v1/models. */
export function registerControlRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const cache = new PlanCache({ maxEntries: ctx.config.plan.cacheEntries, maxKeyBytes: 4096 });
  ctx.metrics.setPlanCacheStats(() => cache);
  const viewKey = (): number => ctx.view.version * 2 + (ctx.view.stale ? 1 : 0);
  // JSON bodies go through fastify's own parser (same errors, same prototype-poisoning checks), except a
  // /v1/plan body whose exact text is in the cache for the current view: it is not parsed at all.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (req.routeOptions.url === PLAN_PATH) {
      const hit = cache.get(text, viewKey());
      if (hit !== undefined) {
        done(null, { [CACHED]: hit } satisfies CachedBody);
        return;
      }
      void parseJson(req, text, (err, parsed) => {
        if (err === null && typeof parsed === 'object' && parsed !== null)
          (parsed as Record<symbol, unknown>)[RAW] = text;
        done(err, parsed);
      });
      return;
    }
    void parseJson(req, text, done);
  });
  // A cached body is answered before validation and the handler run.
  const answerCached = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const hit = (req.body as Partial<CachedBody> | undefined)?.[CACHED];
    if (hit === undefined) {
      done();
      return;
    }
    if (hit.stale) reply.header('x-bottlenet-view-stale', '1');
    void reply.type(JSON_UTF8).send(hit.reply(Date.now()));
  };

  app.post<{ Body: PlanRequestBodyT }>(
    '/v1/plan',
    {
      bodyLimit: ctx.config.limits.planBodyLimitBytes,
      config: { scope: 'plan' },
      preValidation: answerCached,
      schema: {
        summary:
          "Algorithm 1's choice for an agent: the cloud view, the chosen candidate and the runner-up",
        tags: ['control plane'],
        body: PlanRequestBody,
        security: [{ bearer: [] }],
        response: {
          200: PlanReplyBody,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          412: ErrorBody,
          413: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    (req, reply) => {
      const key = viewKey();
      const body = ctx.plan.plan(req.body);
      if (body.cloud.stale) reply.header('x-bottlenet-view-stale', '1');
      const raw = (req.body as Record<symbol, unknown>)[RAW];
      if (typeof raw !== 'string') return body;
      const now = body.generatedAtMs;
      body.generatedAtMs = 0;
      const entry = cache.set(raw, key, reply.serialize(body) as string, body.cloud.stale);
      if (entry === undefined) {
        body.generatedAtMs = now;
        return body;
      }
      return reply.type(JSON_UTF8).send(entry.reply(now));
    },
  );

  app.get<{ Querystring: { name?: string } }>(
    '/v1/models',
    {
      config: { scope: 'models' },
      schema: {
        summary: 'The model catalogue: versions, partitions, profiles',
        tags: ['control plane'],
        querystring: ModelsQuery,
        security: [{ bearer: [] }],
        response: {
          200: ModelCatalogueBody,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    (req): ModelCatalogueBodyT => ({
      models: ctx.catalogue
        .all()
        .filter((m) => req.query.name === undefined || m.name === req.query.name)
        .map((m) => ({
          name: m.name,
          version: m.version,
          inputShape: [...m.input.shape],
          numClasses: m.classes.length,
          baselineAccuracy: m.baselineAccuracy,
          partitions: m.partitions.map((p) => ({
            id: p.id,
            block: p.block,
            channels: p.channels,
            spatialFactor: p.spatialFactor,
            featureShape: [...p.featureShape],
            accuracy: p.accuracy,
            meanBytes: p.meanBytes,
            quality: partitionCodec(m, p).quality,
          })),
          cloudOnly: ctx.pool.serves(m.name, m.version, 'cloud'),
          ...(m.profiles === undefined ? {} : { profiles: m.profiles }),
        })),
    }),
  );
}
