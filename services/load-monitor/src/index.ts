// @bottlenet/load-monitor: polls every worker's GetLoad and publishes per-worker and cloud-wide load
// to Redis. The key schema and the summary type are exported for readers (the gateway).
export { LoadMonitor } from './monitor.js';
export type { LoadMonitorOptions } from './monitor.js';
export {
  compileLoadMonitorConfig,
  loadLoadMonitorConfig,
  LoadMonitorConfigSchema,
} from './config/index.js';
export type { LoadMonitorConfig, CompiledLoadMonitorConfig, DnsTarget } from './config/index.js';
export { buildHttp } from './http.js';
export { createMetrics } from './metrics.js';
export type { LoadMonitorMetrics } from './metrics.js';

// The Redis contract, for readers of what the monitor publishes and for workers that self-register.
export { redisKeys, DEFAULT_KEY_PREFIX } from './redis/keys.js';
export type { RedisKeys } from './redis/keys.js';
export { connectRedis } from './redis/connect.js';
export type { ConnectRedisOptions } from './redis/connect.js';
export {
  parseCloudSummary,
  computeSummary,
  summaryChanged,
  CloudSummarySchema,
} from './summary/index.js';
export type {
  CloudSummary,
  WorkerSummary,
  PartitionSummary,
  PolledWorker,
  SummaryContext,
} from './summary/index.js';
export {
  registerWorker,
  staticDiscovery,
  dnsDiscovery,
  registryDiscovery,
} from './discovery/index.js';
export type {
  Discovery,
  Target,
  RegisterWorkerOptions,
  DnsDiscoveryOptions,
} from './discovery/index.js';
