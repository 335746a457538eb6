import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LoadMonitorMetrics } from './metrics.js';
import type { LoadMonitor } from './monitor.js';

/** `/healthz` (the process answers), `/readyz` (Redis up and a cycle published), `/metrics`. */
export function buildHttp(options: {
  monitor: LoadMonitor;
  metrics: LoadMonitorMetrics;
  logger: Logger;
}): FastifyInstance {
  const log: FastifyBaseLogger = options.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const m = options.monitor;
    const s = m.lastSummary;
    const body = {
      ready: m.ready,
      redis: m.redisStatus,
      targets: m.targets.length,
      aliveWorkers: s?.workers.length ?? 0,
      readyWorkers: s?.healthyWorkers ?? 0,
    };
    return reply.code(m.ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(text);
  });
  return app;
}
