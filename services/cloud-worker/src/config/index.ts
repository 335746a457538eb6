export { loadWorkerConfig, compileWorkerConfig } from './load-config.js';
export type { CompiledWorkerConfig, LoadConfigOptions } from './load-config.js';
export { WorkerConfigSchema } from './schema.js';
export type { WorkerConfig, WorkerOptions, BatchingConfig } from './schema.js';
export { ENV_VARS } from './env.js';
export type { Env } from './env.js';
export type { DeepReadonly } from './deep-freeze.js';
