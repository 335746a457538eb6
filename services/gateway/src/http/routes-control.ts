import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from './context.js';
import { ErrorBody, ModelCatalogueBody, ModelsQuery, PlanReplyBody, PlanRequestBody, type ModelCatalogueBodyT, type PlanRequestBodyT } from './schemas.js';

/** POST /v1/plan and GET /v1/models. */
export function registerControlRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<{ Body: PlanRequestBodyT }>(
    '/v1/plan',
    {
      bodyLimit: ctx.config.limits.planBodyLimitBytes,
      config: { scope: 'plan' },
      schema: {
        summary: "Algorithm 1's choice for an agent: the cloud view, the chosen candidate and the runner-up",
        tags: ['control plane'],
        body: PlanRequestBody,
        security: [{ bearer: [] }],
        response: { 200: PlanReplyBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 412: ErrorBody, 413: ErrorBody, 429: ErrorBody },
      },
    },
    (req, reply) => {
      const body = ctx.plan.plan(req.body);
      if (body.cloud.stale) reply.header('x-bottlenet-view-stale', '1');
      return body;
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
        response: { 200: ModelCatalogueBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
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
          })),
          cloudOnly: ctx.pool.serves(m.name, m.version, 'cloud'),
          ...(m.profiles === undefined ? {} : { profiles: m.profiles }),
        })),
    }),
  );
}
