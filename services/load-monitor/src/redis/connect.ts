import { Redis } from 'ioredis';

export interface ConnectRedisOptions {
  url: string;
  /** First reconnect delay, doubled per attempt up to `reconnectMaxMs`. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Called before each reconnect attempt. */
  onReconnect?: (attempt: number, delayMs: number) => void;
  connectionName?: string;
  /** Do not connect until `connect()` is called. @default false */
  lazy?: boolean;
}

/**
 * An ioredis client that never gives up reconnecting (exponential backoff, capped) and fails commands
 * at once while disconnected instead of queueing them, so a Redis outage costs one failed publish per
 * poll, not a growing backlog.
 */
export function connectRedis(options: ConnectRedisOptions): Redis {
  return new Redis(options.url, {
    lazyConnect: options.lazy ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    connectionName: options.connectionName,
    retryStrategy: (times: number) => {
      const delay = Math.min(
        options.reconnectMaxMs,
        options.reconnectBaseMs * 2 ** Math.min(times - 1, 16),
      );
      options.onReconnect?.(times, delay);
      return delay;
    },
  });
}
