// Shared harness for cross-service tests: real redis-server on a free port, real child processes with
// readiness checks, and a teardown that proves nothing was left running.
export {
  startProcess,
  stopAll,
  assertNoneRunning,
  runningProcesses,
  tsNodeArgs,
  repoRoot,
} from './process.js';
export type { ManagedProcess, StartProcessOptions, ReadyCheck, ExitStatus } from './process.js';
export { startRedis } from './redis.js';
export type { RedisHandle, StartRedisOptions } from './redis.js';
export { freePort } from './free-port.js';
export { redisSkipReason, redisServerPath } from './gates.js';
export {
  startLoadMonitor,
  startGateway,
  startCloudWorker,
  cloudWorkerSkipReason,
  TINY_MODEL_DIR,
} from './services.js';
export type { ServiceHandle } from './services.js';
export { startTestInferenceServer } from './test-inference-server.js';
export type { TestInferenceServer, TestInferenceServerOptions } from './test-inference-server.js';
export { asBoolComparisons, nonEmpty, promQuery } from './prometheus.js';
export type { PromResult } from './prometheus.js';
export { until } from './until.js';
