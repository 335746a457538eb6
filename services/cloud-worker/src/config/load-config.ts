import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Value } from '@sinclair/typebox/value';
import { Code, MeshError } from '@bottlenet/errors';
import { deepFreeze, type DeepReadonly } from './deep-freeze.js';
import { envBoolean, envList, envNumber, envString, type Env, type Warn } from './env.js';
import { WorkerConfigSchema, type WorkerConfig, type WorkerOptions } from './schema.js';

/** The validated, defaulted, deep-frozen configuration the worker runs with. */
export type CompiledWorkerConfig = DeepReadonly<WorkerConfig>;

export interface LoadConfigOptions {
  /** Environment to read; `process.env` when omitted. */
  env?: Env;
  /** A JSON config file; `WORKER_CONFIG` when omitted. */
  file?: string;
  /** Highest precedence: options passed in code (tests, embedding). */
  overrides?: WorkerOptions;
  /** Receives warnings about ignored environment values. */
  warn?: Warn;
}

/**
 * Builds the worker's configuration: defaults < JSON file < environment < overrides, then validates the
 * result against {@link WorkerConfigSchema} and deep-freezes it. Any violation throws
 * `MeshError(InvalidArgument, type 'bad_config')` whose message names the field and its source.
 */
export function loadWorkerConfig(options: LoadConfigOptions = {}): CompiledWorkerConfig {
  const env = options.env ?? process.env;
  const warn = options.warn ?? (() => undefined);
  const file = options.file ?? envString(env, 'WORKER_CONFIG');
  const fromFile = file === undefined ? {} : readConfigFile(file);
  const merged = merge(merge(fromFile, fromEnv(env, warn)), options.overrides ?? {});
  return compileWorkerConfig(merged, file);
}

/** Validates a plain options object (defaults applied) and freezes it. */
export function compileWorkerConfig(input: unknown, source = 'options'): CompiledWorkerConfig {
  const withDefaults = Value.Default(
    WorkerConfigSchema,
    structuredClone(input ?? {}),
  ) as WorkerConfig;
  if (typeof withDefaults === 'object' && withDefaults !== null && withDefaults.workerId === '') {
    withDefaults.workerId = hostname() || 'worker';
  }
  const first = Value.Errors(WorkerConfigSchema, withDefaults).First();
  if (first !== undefined) {
    const field = first.path === '' ? '(root)' : first.path.slice(1).replaceAll('/', '.');
    throw new MeshError(
      Code.InvalidArgument,
      `bad worker config (${source}): ${field}: ${first.message}` +
        (first.value === undefined ? '' : ` (got ${JSON.stringify(first.value)})`),
      { type: 'bad_config', details: { field } },
    );
  }
  return deepFreeze(withDefaults);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MeshError(
      Code.InvalidArgument,
      `bad worker config: cannot read ${file}: ${(cause as Error).message}`,
      {
        type: 'bad_config',
        cause,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MeshError(
      Code.InvalidArgument,
      `bad worker config: ${file} is not JSON: ${(cause as Error).message}`,
      {
        type: 'bad_config',
        cause,
      },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MeshError(
      Code.InvalidArgument,
      `bad worker config: ${file} must hold a JSON object`,
      { type: 'bad_config' },
    );
  }
  return parsed as Record<string, unknown>;
}

function fromEnv(env: Env, warn: Warn): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (path: string, value: unknown): void => {
    if (value === undefined) return;
    const [a, b] = path.split('.') as [string, string | undefined];
    if (b === undefined) out[a] = value;
    else ((out[a] ??= {}) as Record<string, unknown>)[b] = value;
  };
  set('workerId', envString(env, 'WORKER_ID'));
  set('models', envList(env, 'WORKER_MODELS'));
  set('grpc.host', envString(env, 'WORKER_GRPC_HOST'));
  set('grpc.port', envNumber(env, 'WORKER_GRPC_PORT', warn));
  set('grpc.maxReceiveMessageBytes', envNumber(env, 'WORKER_GRPC_MAX_RECEIVE_BYTES', warn));
  set('metrics.enabled', envBoolean(env, 'WORKER_METRICS_ENABLED', warn));
  set('metrics.host', envString(env, 'WORKER_METRICS_HOST'));
  set('metrics.port', envNumber(env, 'WORKER_METRICS_PORT', warn));
  set('batching.maxBatchSize', envNumber(env, 'WORKER_MAX_BATCH_SIZE', warn));
  set('batching.maxQueueDelayMs', envNumber(env, 'WORKER_MAX_QUEUE_DELAY_MS', warn));
  set('batching.maxQueueSize', envNumber(env, 'WORKER_MAX_QUEUE_SIZE', warn));
  set('onnx.intraOpNumThreads', envNumber(env, 'WORKER_INTRA_OP_THREADS', warn));
  set('onnx.computeThreads', envNumber(env, 'WORKER_COMPUTE_THREADS', warn));
  set('onnx.warmupRuns', envNumber(env, 'WORKER_WARMUP_RUNS', warn));
  set('onnx.computeRestartDelayMs', envNumber(env, 'WORKER_COMPUTE_RESTART_DELAY_MS', warn));
  set('onnx.computeRestartMaxDelayMs', envNumber(env, 'WORKER_COMPUTE_RESTART_MAX_DELAY_MS', warn));
  set('onnx.computeRunTimeoutMs', envNumber(env, 'WORKER_COMPUTE_RUN_TIMEOUT_MS', warn));
  set('defaultTopK', envNumber(env, 'WORKER_DEFAULT_TOP_K', warn));
  set('ewmaAlpha', envNumber(env, 'WORKER_EWMA_ALPHA', warn));
  set('idleProbeMs', envNumber(env, 'WORKER_IDLE_PROBE_MS', warn));
  set('drainTimeoutMs', envNumber(env, 'WORKER_DRAIN_TIMEOUT_MS', warn));
  set('logLevel', envString(env, 'WORKER_LOG_LEVEL'));
  return out;
}

/** Merges `b` over `a` one level deep (the config has one level of sections). */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? { ...prev, ...v } : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
