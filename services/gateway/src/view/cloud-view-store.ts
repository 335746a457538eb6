import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  connectRedis,
  parseCloudSummary,
  redisKeys,
  type CloudSummary,
  type RedisKeys,
} from '@bottlenet/load-monitor';
import type { GatewayMetrics } from '../metrics.js';

export interface CloudViewStoreOptions {
  url: string;
  keyPrefix: string;
  refreshMs: number;
  staleAfterMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Called with every newer summary. */
  onSummary?: (summary: CloudSummary) => void;
}

/**
 * The gateway's live view of the cloud tier: the load monitor's summary, pushed on the change channel
 * and re-read every `refreshMs`. When Redis is down or no fresh summary arrives for `staleAfterMs`
 * (the monitor is gone and the key expired), the last view stays in use and `stale` turns true.
 */
export class CloudViewStore {
  readonly #o: CloudViewStoreOptions;
  readonly #keys: RedisKeys;
  readonly #reader: Redis;
  readonly #subscriber: Redis;
  #summary: CloudSummary | undefined;
  #version = 0;
  #freshAtMs = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: CloudViewStoreOptions) {
    this.#o = options;
    this.#keys = redisKeys(options.keyPrefix);
    const mk = (role: string): Redis => {
      const r = connectRedis({
        url: options.url,
        reconnectBaseMs: options.reconnectBaseMs,
        reconnectMaxMs: options.reconnectMaxMs,
        connectionName: `gateway-${role}`,
        lazy: true,
        onReconnect: (attempt, delayMs) => {
          options.metrics.redisReconnects.inc();
          if (role === 'reader' && (attempt === 1 || attempt % 10 === 0))
            options.logger.warn({ attempt, delayMs }, 'redis unreachable; serving the last view');
        },
      });
      r.on('error', (err: Error) => options.logger.debug({ err, role }, 'redis error'));
      return r;
    };
    this.#reader = mk('reader');
    this.#subscriber = mk('subscriber');
    this.#reader.on('ready', () => {
      options.metrics.redisUp.set(1);
      options.logger.info('redis connected');
      void this.refresh();
    });
    this.#reader.on('close', () => options.metrics.redisUp.set(0));
    options.metrics.redisUp.set(0);
    // ioredis re-subscribes by itself after a reconnect.
    this.#subscriber.on('ready', () => {
      this.#subscriber
        .subscribe(this.#keys.changes)
        .catch((err: unknown) => options.logger.warn({ err }, 'subscribe failed'));
    });
    this.#subscriber.on('message', (_channel: string, message: string) =>
      this.#accept(message, 'pubsub'),
    );
  }

  /** Connects (without waiting: Redis may be down) and starts the periodic re-read. */
  start(): void {
    for (const r of [this.#reader, this.#subscriber]) r.connect().catch(() => undefined); // retried by the retry strategy
    const loop = (): void => {
      this.#timer = setTimeout(() => {
        void this.refresh().finally(() => {
          if (!this.#stopped) loop();
        });
      }, this.#o.refreshMs);
      this.#timer.unref();
    };
    loop();
  }

  /** Reads the summary now; failures only leave the view as it was. */
  async refresh(): Promise<void> {
    if (this.#reader.status !== 'ready') {
      this.#updateGauges();
      return;
    }
    try {
      const text = await this.#reader.get(this.#keys.summary);
      if (text !== null) this.#accept(text, 'get');
    } catch (err) {
      this.#o.logger.debug({ err }, 'summary read failed');
    }
    this.#updateGauges();
  }

  /** The last summary received, fresh or not. */
  get summary(): CloudSummary | undefined {
    return this.#summary;
  }

  /** Changes whenever `summary` is replaced (so results derived from the view can be cached by it). */
  get version(): number {
    return this.#version;
  }

  /** True when the view could not be refreshed within `staleAfterMs` (or never was). */
  get stale(): boolean {
    return Date.now() - this.#freshAtMs > this.#o.staleAfterMs;
  }

  get redisStatus(): string {
    return this.#reader.status;
  }

  /** Seconds since the last fresh summary (Infinity before the first). */
  get ageSeconds(): number {
    return (Date.now() - this.#freshAtMs) / 1000;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await Promise.all(
      [this.#reader, this.#subscriber].map(async (r) => {
        try {
          if (r.status === 'ready') await r.quit();
          else r.disconnect();
        } catch {
          r.disconnect();
        }
      }),
    );
  }

  #accept(text: string, source: 'get' | 'pubsub'): void {
    let s: CloudSummary;
    try {
      s = parseCloudSummary(text);
    } catch (err) {
      this.#o.logger.warn({ err, source }, 'ignoring a bad cloud summary');
      return;
    }
    if (this.#summary !== undefined && s.updatedAtMs < this.#summary.updatedAtMs) return;
    const newer = this.#summary === undefined || s.updatedAtMs > this.#summary.updatedAtMs;
    this.#summary = s;
    this.#version++;
    if (newer) {
      this.#freshAtMs = Date.now();
      this.#o.onSummary?.(s);
    }
    this.#updateGauges();
  }

  #updateGauges(): void {
    const m = this.#o.metrics;
    m.viewStale.set(this.stale ? 1 : 0);
    m.viewAge.set(Number.isFinite(this.ageSeconds) ? this.ageSeconds : -1);
    m.viewWorkers.set(this.#summary?.healthyWorkers ?? 0);
  }
}
