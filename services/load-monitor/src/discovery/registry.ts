import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisKeys } from '../redis/keys.js';
import type { Discovery, Target } from './target.js';

/**
 * Workers that registered themselves in Redis: `<prefix>registry:<workerId>` = `host:port`, written with
 * a TTL and refreshed by the worker (see {@link registerWorker}). A worker stays a target until its
 * registration has been missing for `graceMs`, so that a Redis restart (which loses every registration
 * until the workers refresh them) does not empty the tier; a Redis outage keeps the last answer.
 */
export function registryDiscovery(options: {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  graceMs: number;
}): Discovery {
  let last: readonly Target[] = [];
  const seenAt = new Map<string, number>();
  return {
    name: 'registry',
    async discover() {
      try {
        const found: string[] = [];
        let cursor = '0';
        do {
          const [next, keys] = await options.redis.scan(
            cursor,
            'MATCH',
            options.keys.registrationPattern,
            'COUNT',
            200,
          );
          cursor = next;
          found.push(...keys);
        } while (cursor !== '0');
        const values = found.length === 0 ? [] : await options.redis.mget(found);
        const now = Date.now();
        for (const v of values)
          if (typeof v === 'string' && /^[^\s:]+:\d{1,5}$/.test(v)) seenAt.set(v, now);
        for (const [address, at] of seenAt) if (now - at > options.graceMs) seenAt.delete(address);
        last = [...seenAt.keys()]
          .sort()
          .map((address) => ({ address, source: 'registry' as const }));
      } catch (err) {
        options.logger.warn({ err }, 'registry discovery failed; keeping the last answer');
      }
      return last;
    },
  };
}

export interface RegisterWorkerOptions {
  redis: Redis;
  keys: RedisKeys;
  workerId: string;
  /** `host:port` others reach the worker at. */
  address: string;
  /** @default 3000 */
  ttlMs?: number;
  /** Called with each failed refresh (Redis down); the next refresh retries. */
  onError?: (err: unknown) => void;
}

/**
 * Self-registration for a worker (or a sidecar): writes `<prefix>registry:<workerId>` with a TTL and
 * refreshes it every third of the TTL. The returned function stops refreshing and deletes the key.
 */
export function registerWorker(options: RegisterWorkerOptions): () => Promise<void> {
  const ttlMs = options.ttlMs ?? 3000;
  const key = options.keys.registration(options.workerId);
  const refresh = (): void => {
    options.redis
      .set(key, options.address, 'PX', ttlMs)
      .catch((err: unknown) => options.onError?.(err));
  };
  refresh();
  const timer = setInterval(refresh, Math.max(10, Math.floor(ttlMs / 3)));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await options.redis.del(key).catch((err: unknown) => options.onError?.(err));
  };
}
