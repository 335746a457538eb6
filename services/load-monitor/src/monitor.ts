import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CompiledLoadMonitorConfig } from './config/compile.js';
import {
  dnsDiscovery,
  registryDiscovery,
  staticDiscovery,
  type Discovery,
  type Target,
} from './discovery/index.js';
import type { LoadMonitorMetrics } from './metrics.js';
import { LoadPoller } from './poller.js';
import { connectRedis } from './redis/connect.js';
import { redisKeys, type RedisKeys } from './redis/keys.js';
import { publishCycle } from './redis/publisher.js';
import { computeSummary, summaryChanged, type PolledWorker } from './summary/compute.js';
import type { CloudSummary } from './summary/schema.js';

export interface LoadMonitorOptions {
  config: CompiledLoadMonitorConfig;
  logger: Logger;
  metrics: LoadMonitorMetrics;
}

/**
 * The poll-and-publish loop: re-discovers workers every `discovery.refreshMs`, polls each one's
 * GetLoad every `pollIntervalMs` (all at once, each with `pollTimeoutMs`), and writes the cycle to
 * Redis. A cycle waits for its polls at most `pollIntervalMs`: a worker that is slow to answer (or
 * dead, until its poll times out) would otherwise hold back everyone's load and its own removal; its
 * answer, when it comes, is used by the next cycle, and it is not polled again meanwhile. A Redis outage only fails publishes (counted in metrics); polling goes on and the next
 * publish after reconnecting carries the current state.
 */
export class LoadMonitor {
  readonly #config: CompiledLoadMonitorConfig;
  readonly #log: Logger;
  readonly #metrics: LoadMonitorMetrics;
  readonly #keys: RedisKeys;
  readonly #redis: Redis;
  readonly #poller = new LoadPoller();
  readonly #discoveries: Discovery[];
  #targets: readonly Target[] = [];
  readonly #polled = new Map<string, PolledWorker>();
  /** Polls still running, by address (a cycle does not wait past its interval for them). */
  readonly #polling = new Map<string, Promise<void>>();
  #published: CloudSummary | undefined;
  #last: CloudSummary | undefined;
  #cycles = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #discoveryTimer: NodeJS.Timeout | undefined;
  #cycle: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: LoadMonitorOptions) {
    this.#config = options.config;
    this.#log = options.logger;
    this.#metrics = options.metrics;
    this.#keys = redisKeys(this.#config.redis.keyPrefix);
    this.#redis = connectRedis({
      url: this.#config.redis.url,
      reconnectBaseMs: this.#config.redis.reconnectBaseMs,
      reconnectMaxMs: this.#config.redis.reconnectMaxMs,
      connectionName: `load-monitor:${this.#config.monitorId}`,
      onReconnect: (attempt, delayMs) => {
        this.#metrics.redisReconnects.inc();
        if (attempt === 1 || attempt % 10 === 0)
          this.#log.warn({ attempt, delayMs }, 'redis unreachable; reconnecting');
      },
    });
    this.#metrics.redisUp.set(0);
    this.#redis.on('ready', () => {
      this.#metrics.redisUp.set(1);
      this.#published = undefined; // republish the full state and a change message after an outage
      this.#log.info('redis connected');
    });
    this.#redis.on('close', () => this.#metrics.redisUp.set(0));
    this.#redis.on('error', (err: Error) => this.#log.debug({ err }, 'redis error'));
    const d = this.#config.discovery;
    this.#discoveries = [
      ...(d.static.length > 0 ? [staticDiscovery(d.static)] : []),
      ...d.dns.map((t) =>
        dnsDiscovery({ name: t.name, port: t.port, servers: t.servers, logger: this.#log }),
      ),
      ...(d.registry
        ? [
            registryDiscovery({
              redis: this.#redis,
              keys: this.#keys,
              logger: this.#log,
              graceMs: d.registryGraceMs,
            }),
          ]
        : []),
    ];
  }

  /** Ready once Redis is connected and one cycle has been published. */
  get ready(): boolean {
    return this.#redis.status === 'ready' && this.#cycles > 0 && !this.#stopped;
  }

  get redisStatus(): string {
    return this.#redis.status;
  }

  /** The summary of the last cycle (published or not). */
  get lastSummary(): CloudSummary | undefined {
    return this.#last;
  }

  get targets(): readonly Target[] {
    return this.#targets;
  }

  /** Runs discovery once, then starts both loops. */
  async start(): Promise<void> {
    await this.#discover();
    const discoveryLoop = (): void => {
      this.#discoveryTimer = setTimeout(() => {
        void this.#discover().finally(() => {
          if (!this.#stopped) discoveryLoop();
        });
      }, this.#config.discovery.refreshMs);
    };
    discoveryLoop();
    const pollLoop = (): void => {
      const started = Date.now();
      this.#cycle = this.#runCycle().finally(() => {
        if (this.#stopped) return;
        const wait = Math.max(0, this.#config.pollIntervalMs - (Date.now() - started));
        this.#pollTimer = setTimeout(pollLoop, wait);
      });
    };
    pollLoop();
  }

  /** Stops the loops, waits for the running cycle, closes gRPC channels and Redis. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#discoveryTimer);
    await this.#cycle;
    this.#poller.close();
    try {
      if (this.#redis.status === 'ready') await this.#redis.quit();
      else this.#redis.disconnect();
    } catch {
      this.#redis.disconnect();
    }
  }

  async #discover(): Promise<void> {
    const found = await Promise.all(this.#discoveries.map((d) => d.discover()));
    const byAddress = new Map<string, Target>();
    for (const t of found.flat()) if (!byAddress.has(t.address)) byAddress.set(t.address, t);
    const before = new Set(this.#targets.map((t) => t.address));
    this.#targets = [...byAddress.values()];
    const now = new Set(byAddress.keys());
    for (const a of now)
      if (!before.has(a))
        this.#log.info({ address: a, source: byAddress.get(a)?.source }, 'worker discovered');
    for (const a of before) {
      if (!now.has(a)) {
        this.#log.info({ address: a }, 'worker no longer discovered');
        this.#polled.delete(a);
      }
    }
    this.#poller.retain(now);
    this.#metrics.workers.set({ state: 'discovered' }, now.size);
  }

  async #runCycle(): Promise<void> {
    const timeoutMs = this.#config.pollTimeoutMs;
    for (const t of this.#targets) {
      if (this.#polling.has(t.address)) continue;
      const end = this.#metrics.pollSeconds.startTimer();
      const poll = this.#poller
        .getLoad(t.address, timeoutMs)
        .then(
          (report) => {
            // not if the worker was dropped from discovery meanwhile
            if (this.#targets.some((x) => x.address === t.address))
              this.#polled.set(t.address, { address: t.address, report, polledAtMs: Date.now() });
            this.#metrics.polls.inc({ result: 'ok' });
          },
          (err: unknown) => {
            this.#metrics.polls.inc({ result: 'error' });
            this.#log.debug({ err, address: t.address }, 'GetLoad failed');
          },
        )
        .finally(() => {
          end();
          this.#polling.delete(t.address);
        });
      this.#polling.set(t.address, poll);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#polling.values()),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#config.pollIntervalMs);
      }),
    ]);
    clearTimeout(timer);
    const nowMs = Date.now();
    const summary = computeSummary(this.#polled.values(), {
      monitorId: this.#config.monitorId,
      ttlMs: this.#config.ttlMs,
      nowMs,
    });
    for (const [address, w] of this.#polled)
      if (nowMs - w.polledAtMs > this.#config.ttlMs) this.#polled.delete(address);
    this.#last = summary;
    this.#metrics.workers.set({ state: 'alive' }, summary.workers.length);
    this.#metrics.workers.set({ state: 'ready' }, summary.healthyWorkers);
    this.#metrics.loadLevel.set(summary.loadLevel);
    const changed = summaryChanged(this.#published, summary);
    try {
      await publishCycle({
        redis: this.#redis,
        keys: this.#keys,
        ttlMs: this.#config.ttlMs,
        summary,
        live: [...this.#polled.values()],
        changed,
      });
      this.#metrics.publishes.inc();
      this.#metrics.lastPublish.set(nowMs / 1000);
      if (changed) {
        this.#metrics.changes.inc();
        this.#published = summary;
      }
      this.#cycles++;
    } catch (err) {
      this.#metrics.redisErrors.inc();
      this.#log.debug({ err }, 'publish failed');
    }
  }
}
