import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Catalogue } from './catalogue/catalogue.js';
import type { CompiledGatewayConfig } from './config/compile.js';
import { buildApp } from './http/build-app.js';
import type { GatewayContext } from './http/context.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { PlanService } from './plan/plan-service.js';
import { WorkerPool } from './routing/worker-pool.js';
import { CloudViewStore } from './view/cloud-view-store.js';

/** A gateway: the app, its live view, and its lifecycle. */
export interface Gateway {
  readonly app: FastifyInstance;
  readonly context: GatewayContext;
  /** Connects to Redis (without waiting for it) and listens; resolves with the bound port. */
  listen(): Promise<number>;
  /**
   * Graceful shutdown: /readyz turns 503, after `shutdown.drainDelayMs` the listener closes and
   * requests in progress finish (up to `shutdown.timeoutMs`), then gRPC channels and Redis close.
   */
  close(): Promise<void>;
}

export interface CreateGatewayOptions {
  config: CompiledGatewayConfig;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** Preloaded catalogue; default: loaded from `config.modelDirs`. */
  catalogue?: Catalogue;
}

export async function createGateway(options: CreateGatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const metrics = options.metrics ?? createGatewayMetrics();
  const catalogue = options.catalogue ?? (await Catalogue.load(config.modelDirs));
  const pool = new WorkerPool({ lastKnownMs: config.infer.lastKnownMs });
  const view = new CloudViewStore({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    refreshMs: config.redis.refreshMs,
    staleAfterMs: config.redis.staleAfterMs,
    reconnectBaseMs: config.redis.reconnectBaseMs,
    reconnectMaxMs: config.redis.reconnectMaxMs,
    logger: logger.child({ component: 'view' }),
    metrics,
    onSummary: (s) => pool.update(s),
  });
  const plan = new PlanService({
    catalogue,
    view: () => ({ summary: view.summary, stale: view.stale }),
    minRelativeGain: config.plan.minRelativeGain,
    deviceGflops: config.plan.deviceGflops,
    devicePowerMw: config.plan.devicePowerMw,
    cloudGflops: config.plan.cloudGflops,
    cloudOnlyBytesPerPixel: config.plan.cloudOnlyBytesPerPixel,
  });
  const context: GatewayContext = { config, metrics, view, pool, catalogue, plan, draining: false };
  const app = await buildApp(context, logger);
  let closing: Promise<void> | undefined;
  return {
    app,
    context,
    async listen() {
      view.start();
      await app.listen({ host: config.listen.host, port: config.listen.port });
      const addr = app.server.address();
      return typeof addr === 'object' && addr !== null ? addr.port : config.listen.port;
    },
    close() {
      closing ??= (async () => {
        context.draining = true;
        if (config.shutdown.drainDelayMs > 0)
          await new Promise((r) => setTimeout(r, config.shutdown.drainDelayMs));
        const timeout = new Promise<void>((resolve) =>
          setTimeout(resolve, config.shutdown.timeoutMs).unref(),
        );
        // server.close() reaps only the connections idle at that moment; a keep-alive connection whose
        // request finishes later would hold the close open until its keep-alive timeout (72 s), so
        // idle connections are reaped again until the listener has closed.
        const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
        await Promise.race([app.close(), timeout]);
        clearInterval(reaper);
        pool.close();
        await view.stop();
      })();
      return closing;
    },
  };
}
