import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import type { CloudSummary } from '../summary/schema.js';
import type { PolledWorker } from '../summary/compute.js';

/**
 * Writes one poll cycle to Redis in one pipeline: a hash per live worker, expiring `ttl` after that
 * worker's last successful poll (not after this write: a worker that stopped answering would otherwise
 * keep its hash for up to two TTLs), the summary (PX ttl), and the change message when `changed`.
 * Rejects when Redis is down; nothing is queued.
 */
export async function publishCycle(options: {
  redis: Redis;
  keys: RedisKeys;
  ttlMs: number;
  summary: CloudSummary;
  live: readonly PolledWorker[];
  changed: boolean;
}): Promise<void> {
  const { redis, keys, ttlMs, summary } = options;
  const json = JSON.stringify(summary);
  const pipe = redis.pipeline();
  for (const w of options.live) {
    const r = w.report;
    const key = keys.worker(r.workerId || w.address);
    pipe.hset(key, {
      id: r.workerId || w.address,
      address: w.address,
      ready: r.ready ? '1' : '0',
      queueDepth: String(r.queueDepth),
      inFlight: String(r.inFlight),
      capacity: String(r.capacity),
      queueCapacity: String(r.queueCapacity),
      reportTimestampMs: String(r.timestampMs),
      polledAtMs: String(w.polledAtMs),
      models: JSON.stringify(r.models),
      partitions: JSON.stringify(r.partitions),
    });
    // relative to the cycle's time (the clock polledAtMs comes from), so the Redis host's clock does not matter
    pipe.pexpire(key, Math.max(1, w.polledAtMs + ttlMs - summary.updatedAtMs));
  }
  pipe.set(keys.summary, json, 'PX', ttlMs);
  if (options.changed) pipe.publish(keys.changes, json);
  const results = await pipe.exec();
  const failed = results?.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
}
