// @bottlenet/cloud-worker: the gRPC server hosting the tails of every partition and the cloud-only full
// network, with dynamic batching, backpressure, deadlines, health, load reports and metrics.

export { startWorker } from './worker.js';
export type { CloudWorker, StartWorkerOptions } from './worker.js';
export {
  loadWorkerConfig,
  compileWorkerConfig,
  WorkerConfigSchema,
  ENV_VARS,
} from './config/index.js';
export type {
  CompiledWorkerConfig,
  WorkerConfig,
  WorkerOptions,
  LoadConfigOptions,
  BatchingConfig,
} from './config/index.js';
export { createLogger } from './logger.js';
export type { Logger } from './logger.js';

// Building blocks, for benchmarks and for services that batch other work the same way.
export { DynamicBatcher } from './batching/batcher.js';
export type {
  BatcherOptions,
  BatchEvent,
  BatchResult,
  RunBatch,
  SubmitOptions,
  TimedOutputs,
} from './batching/batcher.js';
export { WorkerMetrics } from './metrics/worker-metrics.js';
export { PartitionStats } from './load/partition-stats.js';
export type { PartitionStatsSnapshot } from './load/partition-stats.js';
