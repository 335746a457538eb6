import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from './context.js';
import { ReadyBody } from './schemas.js';

/**
 * `/healthz`: the process answers. `/readyz`: 200 once a cloud view has been loaded and while not
 * draining; a stale view (Redis down) stays ready, because the gateway keeps routing on the last view,
 * and says `stale: true`. `/metrics`: Prometheus text.
 */
export function registerHealthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const hide = { hide: true };
  app.get('/healthz', { schema: { ...hide } }, () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { ...hide, response: { 200: ReadyBody, 503: ReadyBody } } },
    (_req, reply) => {
      const ready = !ctx.draining && ctx.view.summary !== undefined;
      const age = ctx.view.ageSeconds;
      return reply.code(ready ? 200 : 503).send({
        ready,
        draining: ctx.draining,
        stale: ctx.view.stale,
        redis: ctx.view.redisStatus,
        workers: ctx.view.summary?.healthyWorkers ?? 0,
        viewAgeSeconds: Number.isFinite(age) ? Math.round(age * 1000) / 1000 : -1,
      });
    },
  );
  app.get('/metrics', { schema: hide }, async (_req, reply) => {
    ctx.metrics.lastKnownWorkers.set(ctx.pool.lastKnown);
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
