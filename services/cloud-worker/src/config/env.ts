/**
 * Typed readers of environment variables. A value that does not parse is reported through `warn` and
 * read as `undefined`, so the caller falls back to the file or the default (STYLE 14). Every variable is
 * listed in {@link ENV_VARS} and documented in docs/cloud-worker.md.
 */
export type Env = Readonly<Record<string, string | undefined>>;
export type Warn = (message: string) => void;

export function envString(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

export function envNumber(env: Env, name: string, warn: Warn): number | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) {
    warn(`ignoring ${name}=${JSON.stringify(raw)}: not a number`);
    return undefined;
  }
  return n;
}

export function envBoolean(env: Env, name: string, warn: Warn): boolean | undefined {
  const raw = envString(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  warn(`ignoring ${name}=${JSON.stringify(raw)}: not a boolean (true/false)`);
  return undefined;
}

export function envList(env: Env, name: string): string[] | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length === 0 ? undefined : items;
}

/** Every environment variable the worker reads, and the config field it sets. */
export const ENV_VARS = {
  WORKER_CONFIG: 'path of a JSON config file (fields below); env values override it',
  WORKER_ID: 'workerId',
  WORKER_MODELS: 'models (comma-separated model directories)',
  WORKER_GRPC_HOST: 'grpc.host',
  WORKER_GRPC_PORT: 'grpc.port',
  WORKER_GRPC_MAX_RECEIVE_BYTES: 'grpc.maxReceiveMessageBytes',
  WORKER_METRICS_ENABLED: 'metrics.enabled',
  WORKER_METRICS_HOST: 'metrics.host',
  WORKER_METRICS_PORT: 'metrics.port',
  WORKER_MAX_BATCH_SIZE: 'batching.maxBatchSize',
  WORKER_MAX_QUEUE_DELAY_MS: 'batching.maxQueueDelayMs',
  WORKER_MAX_QUEUE_SIZE: 'batching.maxQueueSize',
  WORKER_INTRA_OP_THREADS: 'onnx.intraOpNumThreads',
  WORKER_COMPUTE_THREADS: 'onnx.computeThreads',
  WORKER_WARMUP_RUNS: 'onnx.warmupRuns',
  WORKER_COMPUTE_RESTART_DELAY_MS: 'onnx.computeRestartDelayMs',
  WORKER_COMPUTE_RESTART_MAX_DELAY_MS: 'onnx.computeRestartMaxDelayMs',
  WORKER_COMPUTE_RUN_TIMEOUT_MS: 'onnx.computeRunTimeoutMs',
  WORKER_DEFAULT_TOP_K: 'defaultTopK',
  WORKER_EWMA_ALPHA: 'ewmaAlpha',
  WORKER_IDLE_PROBE_MS: 'idleProbeMs',
  WORKER_DRAIN_TIMEOUT_MS: 'drainTimeoutMs',
  WORKER_LOG_LEVEL: 'logLevel',
} as const;
