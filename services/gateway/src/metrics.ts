import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of its own (docs/control-plane.md lists them). */
export function createGatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bottlenet_gateway_' });
  const p = 'bottlenet_gateway_';
  // The plan cache counts its own lookups; the metric reads them at scrape time (nothing per request).
  let planCacheStats: () => { hits: number; misses: number } = () => ({ hits: 0, misses: 0 });
  return {
    registry,
    planCacheLookups: new Counter({
      name: `${p}plan_cache_lookups_total`,
      help: '/v1/plan bodies looked up in the reply cache, by result (hit: answered without parsing, validation or planning)',
      labelNames: ['result'] as const,
      registers: [registry],
      collect() {
        const stats = planCacheStats();
        this.reset();
        this.inc({ result: 'hit' }, stats.hits);
        this.inc({ result: 'miss' }, stats.misses);
      },
    }),
    /** Where `plan_cache_lookups_total` reads its numbers (the /v1/plan route's cache). */
    setPlanCacheStats(stats: () => { hits: number; misses: number }): void {
      planCacheStats = stats;
    },
    requests: new Counter({
      name: `${p}http_requests_total`,
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'HTTP request duration by route',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    upstream: new Counter({
      name: `${p}upstream_requests_total`,
      help: 'Infer calls to workers by worker and gRPC code name',
      labelNames: ['worker', 'code'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: `${p}upstream_retries_total`,
      help: 'Infer calls retried on another worker after UNAVAILABLE',
      registers: [registry],
    }),
    viewStale: new Gauge({
      name: `${p}view_stale`,
      help: '1 while the cloud view from Redis is stale (Redis down or no fresh summary)',
      registers: [registry],
    }),
    viewAge: new Gauge({
      name: `${p}view_age_seconds`,
      help: 'Seconds since the last fresh summary arrived',
      registers: [registry],
    }),
    lastKnownWorkers: new Gauge({
      name: `${p}last_known_workers`,
      help: 'Workers missing from the current view that are still tried when the view has none for a partition (infer.lastKnownMs)',
      registers: [registry],
    }),
    lastKnownCalls: new Counter({
      name: `${p}last_known_calls_total`,
      help: 'Infer calls sent to a last known worker because the current view had no ready worker for the partition (replies say stale)',
      registers: [registry],
    }),
    viewWorkers: new Gauge({
      name: `${p}view_workers`,
      help: 'Ready workers in the cloud view',
      registers: [registry],
    }),
    redisUp: new Gauge({
      name: `${p}redis_up`,
      help: '1 while the Redis connection is ready',
      registers: [registry],
    }),
    redisReconnects: new Counter({
      name: `${p}redis_reconnects_total`,
      help: 'Redis reconnect attempts',
      registers: [registry],
    }),
    rejected: new Counter({
      name: `${p}rejected_total`,
      help: 'Requests rejected before reaching a handler, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
