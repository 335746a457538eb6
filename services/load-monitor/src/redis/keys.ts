/**
 * The Redis key schema of the control plane (docs/control-plane.md has the full table). Every name
 * starts with a configurable prefix (default `bottlenet:`) so that several meshes can share one Redis.
 */
export interface RedisKeys {
  /** HASH per worker, TTL = ttlMs, rewritten after every successful poll. */
  worker(workerId: string): string;
  /** Pattern matching every worker hash (for SCAN). */
  readonly workerPattern: string;
  /** STRING: the cloud-wide summary as JSON ({@link CloudSummary}), TTL = ttlMs. */
  readonly summary: string;
  /** Pub/sub channel: the summary JSON, published when it changes. */
  readonly changes: string;
  /** STRING per self-registered worker: its `host:port`, TTL set by the worker. */
  registration(workerId: string): string;
  /** Pattern matching every registration (for SCAN). */
  readonly registrationPattern: string;
}

/** Default prefix of every key and channel. */
export const DEFAULT_KEY_PREFIX = 'bottlenet:';

export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  return {
    worker: (id) => `${prefix}worker:${id}`,
    workerPattern: `${prefix}worker:*`,
    summary: `${prefix}cloud`,
    changes: `${prefix}cloud:changed`,
    registration: (id) => `${prefix}registry:${id}`,
    registrationPattern: `${prefix}registry:*`,
  };
}
