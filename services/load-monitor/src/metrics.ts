import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The load monitor's Prometheus metrics, on a registry of its own (docs/control-plane.md lists them). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bottlenet_load_monitor_' });
  const p = 'bottlenet_load_monitor_';
  return {
    registry,
    polls: new Counter({
      name: `${p}polls_total`,
      help: 'GetLoad calls by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    pollSeconds: new Histogram({
      name: `${p}poll_duration_seconds`,
      help: 'GetLoad round trip',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers: [registry],
    }),
    workers: new Gauge({
      name: `${p}workers`,
      help: 'Workers by state (discovered, alive, ready)',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    redisUp: new Gauge({
      name: `${p}redis_up`,
      help: '1 while the Redis connection is ready',
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: `${p}redis_errors_total`,
      help: 'Failed Redis publishes and reads',
      registers: [registry],
    }),
    redisReconnects: new Counter({
      name: `${p}redis_reconnects_total`,
      help: 'Redis reconnect attempts',
      registers: [registry],
    }),
    publishes: new Counter({
      name: `${p}publishes_total`,
      help: 'Summaries written to Redis',
      registers: [registry],
    }),
    changes: new Counter({
      name: `${p}changes_published_total`,
      help: 'Change messages published',
      registers: [registry],
    }),
    loadLevel: new Gauge({
      name: `${p}cloud_load_level`,
      help: 'K_cloud of the last summary (1 = idle)',
      registers: [registry],
    }),
    lastPublish: new Gauge({
      name: `${p}last_publish_timestamp_seconds`,
      help: 'When a summary last reached Redis',
      registers: [registry],
    }),
  };
}

export type LoadMonitorMetrics = ReturnType<typeof createMetrics>;
