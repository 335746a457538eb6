import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, spawnProc as spawnService, type Proc } from './proc.js';
import { startEmbeddedLoadBus, type EmbeddedLoadBus } from './embedded-load-bus.js';

/**
 * Which Redis the mesh uses. `auto`: `redis-server` when installed, else the embedded in-memory load bus
 * (embedded-load-bus.ts), announced loudly. `redis-server`: that or an error. `embedded`: the bus.
 */
export type LoadBusChoice = 'auto' | 'redis-server' | 'embedded';

export interface MeshOptions {
  /** The repository root (service entry points are found from it). */
  readonly repoRoot: string;
  /** Model repositories the workers serve (and the gateway catalogues). */
  readonly modelDirs: readonly string[];
  /** @default 2 */
  readonly workers?: number;
  /** Run services from TypeScript sources through tsx instead of `dist/`. @default true when dist is missing */
  readonly fromSource?: boolean;
  /** Worker batcher settings. */
  readonly maxBatchSize?: number;
  readonly maxQueueSize?: number;
  /** Where service log lines go (e.g. a file writer); default: kept in memory only. */
  readonly onLog?: (service: string, line: string) => void;
  readonly logLevel?: string;
  /**
   * Which Redis to run; the env variable `BOTTLENET_LOAD_BUS` (`auto` | `redis-server` | `embedded`)
   * overrides it. @default 'auto'
   */
  readonly loadBus?: LoadBusChoice;
  /**
   * Pin every cloud process (Redis, workers, load monitor, gateway) to these CPUs (`taskset -c` list,
   * e.g. `1` or `1-3`), so that an agent pinned to the others measures its device time without the cloud
   * running on its core (see `splitCpus`). @default no pinning
   */
  readonly cloudCpus?: string;
}

/** A running cloud tier: Redis, workers, the load monitor and the gateway, each a real process. */
export interface Mesh {
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly redisUrl: string;
  /** `redis-server <path>`, or a line saying the embedded in-memory load bus (the fallback) is in use. */
  readonly redisKind: string;
  /** True when the embedded in-memory load bus stands in for redis-server. */
  readonly embeddedLoadBus: boolean;
  readonly workers: Proc[];
  readonly workerAddresses: readonly string[];
  gateway(): Proc;
  readonly monitor: Proc;
  /** SIGKILL one worker (a crash). */
  killWorker(i: number): Promise<void>;
  /** Stops the gateway and starts it again on the same port. */
  restartGateway(options?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const TASKSET = '/usr/bin/taskset';

function entry(repoRoot: string, service: string, fromSource: boolean | undefined): string[] {
  const dist = join(repoRoot, 'services', service, 'dist', 'main.js');
  if (fromSource === false || (fromSource === undefined && existsSync(dist))) return [dist];
  return [
    '--conditions=source',
    '--import',
    'tsx',
    join(repoRoot, 'services', service, 'src', 'main.ts'),
  ];
}

async function waitHttp(url: string, proc: Proc, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(500) });
      return;
    } catch {
      if (exited)
        throw new Error(
          `${proc.name} exited before answering ${url}\n--- output ---\n${proc.output().slice(-3000)}`,
        );
      if (Date.now() > end)
        throw new Error(
          `${proc.name} did not answer ${url} within ${timeoutMs} ms\n--- output ---\n${proc.output().slice(-3000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function loadBusChoice(
  option: LoadBusChoice | undefined,
  warn: (line: string) => void,
): LoadBusChoice {
  const env = process.env['BOTTLENET_LOAD_BUS'];
  if (env === 'auto' || env === 'redis-server' || env === 'embedded') return env;
  if (env !== undefined && env !== '')
    warn(`ignoring BOTTLENET_LOAD_BUS=${env} (expected auto, redis-server or embedded)`);
  return option ?? 'auto';
}

/**
 * Starts Redis (redis-server when installed, else the embedded in-memory load bus - see
 * {@link MeshOptions.loadBus}), `workers` cloud workers, the load monitor and the gateway.
 */
export async function startMesh(o: MeshOptions): Promise<Mesh> {
  if (o.cloudCpus !== undefined && !existsSync(TASKSET))
    throw new Error(`cloudCpus needs ${TASKSET} (Debian package util-linux)`);
  // taskset execs the command, so the pid (signals, kill) stays the service's own
  const spawnProc: typeof spawnService = (name, command, args, opts) =>
    o.cloudCpus === undefined
      ? spawnService(name, command, args, opts)
      : spawnService(name, TASKSET, ['-c', o.cloudCpus, command, ...args], opts);
  const dir = mkdtempSync(join(tmpdir(), 'bn-mesh-'));
  const procs: Proc[] = [];
  const log = (name: string) => (line: string) => o.onLog?.(name, line);
  const node = process.execPath;
  // readiness is read from info lines, so services never log below info here
  const level = o.logLevel === 'debug' || o.logLevel === 'trace' ? o.logLevel : 'info';
  let bus: EmbeddedLoadBus | undefined;
  const started = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      await Promise.all(procs.map((p) => p.kill()));
      await bus?.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  };
  // Redis: redis-server, or the embedded load bus (the demo's fallback)
  const redisBin = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';
  const choice = loadBusChoice(o.loadBus, log('load-bus'));
  let redis: Proc | undefined;
  let redisUrl: string;
  let redisKind: string;
  if (choice === 'redis-server' || (choice === 'auto' && existsSync(redisBin))) {
    if (!existsSync(redisBin)) {
      throw new Error(
        `redis-server not found at ${redisBin}; install it (scripts/setup.sh), set REDIS_SERVER, or use BOTTLENET_LOAD_BUS=embedded`,
      );
    }
    const redisPort = await freePort();
    const r = spawnProc(
      'redis',
      redisBin,
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { onLine: log('redis') },
    );
    redis = r;
    procs.push(r);
    await started(() => r.waitFor(/Ready to accept connections/, 15000));
    redisUrl = `redis://127.0.0.1:${redisPort}`;
    redisKind = `redis-server ${redisBin}`;
  } else {
    const why =
      choice !== 'embedded'
        ? `redis-server not found at ${redisBin}`
        : process.env['BOTTLENET_LOAD_BUS'] === 'embedded'
          ? 'forced by BOTTLENET_LOAD_BUS=embedded'
          : "forced by loadBus: 'embedded'";
    bus = await startEmbeddedLoadBus({ onLog: log('load-bus') });
    redisUrl = bus.url;
    redisKind = `EMBEDDED IN-MEMORY LOAD BUS (fallback: ${why}; not Redis - see docs/demo.md)`;
    const warning = `using the embedded in-memory load bus instead of redis-server (${why}): a demo stand-in implementing only the commands the load monitor and gateway send; no persistence; install redis-server for anything else`;
    log('load-bus')(`WARNING ${warning}`);
    process.emitWarning(warning, { code: 'BOTTLENET_EMBEDDED_LOAD_BUS' });
  }
  const stopBus = async (): Promise<void> => {
    await redis?.stop();
    await bus?.close();
  };
  // Workers
  const workers: Proc[] = [];
  const workerAddresses: string[] = [];
  const n = o.workers ?? 2;
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    const cfg = join(dir, `worker-${i}.json`);
    writeFileSync(
      cfg,
      JSON.stringify({
        workerId: `worker-${i}`,
        models: o.modelDirs,
        grpc: { host: '127.0.0.1', port },
        metrics: { enabled: false },
        onnx: { intraOpNumThreads: 1, warmupRuns: 1 },
        batching: { maxBatchSize: o.maxBatchSize ?? 16, maxQueueSize: o.maxQueueSize ?? 256 },
        logLevel: level,
      }),
    );
    const w = spawnProc(
      `worker-${i}`,
      node,
      [...entry(o.repoRoot, 'cloud-worker', o.fromSource), '--config', cfg],
      { onLine: log(`worker-${i}`) },
    );
    procs.push(w);
    workers.push(w);
    workerAddresses.push(`127.0.0.1:${port}`);
  }
  await started(() => Promise.all(workers.map((w) => w.waitFor(/worker SERVING/, 120000))));
  // Load monitor
  const monCfg = join(dir, 'monitor.json');
  writeFileSync(
    monCfg,
    JSON.stringify({
      monitorId: 'monitor-0',
      redis: { url: redisUrl },
      discovery: { static: workerAddresses },
      pollIntervalMs: 200,
      ttlMs: 1500,
      http: { host: '127.0.0.1', port: 0 },
      logLevel: level,
    }),
  );
  const monitor = spawnProc(
    'load-monitor',
    node,
    [...entry(o.repoRoot, 'load-monitor', o.fromSource), '--config', monCfg],
    { onLine: log('load-monitor') },
  );
  procs.push(monitor);
  await started(() => monitor.waitFor(/load monitor listening/, 60000));
  // Gateway
  const apiKey = randomBytes(16).toString('hex');
  const gwPort = await freePort();
  const gwCfg = join(dir, 'gateway.json');
  writeFileSync(
    gwCfg,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: gwPort },
      redis: { url: redisUrl },
      // One key for every agent and load generator of the mesh: the gateway's default of 1000 requests/s
      // per key would throttle the mesh itself (8 concurrent agents on the tiny model pass it); the
      // per-key limit has its own tests in the gateway.
      apiKeys: [{ name: 'mesh', key: apiKey, ratePerSecond: 1_000_000 }],
      modelDirs: o.modelDirs,
      logLevel: level,
    }),
  );
  const gatewayUrl = `http://127.0.0.1:${gwPort}`;
  const startGateway = async (): Promise<Proc> => {
    const g = spawnProc(
      'gateway',
      node,
      [...entry(o.repoRoot, 'gateway', o.fromSource), '--config', gwCfg],
      { onLine: log('gateway') },
    );
    procs.push(g);
    await waitHttp(`${gatewayUrl}/healthz`, g, 60000);
    return g;
  };
  let gateway = await started(startGateway);
  return {
    gatewayUrl,
    apiKey,
    redisUrl,
    redisKind,
    embeddedLoadBus: bus !== undefined,
    workers,
    workerAddresses,
    monitor,
    gateway: () => gateway,
    killWorker: (i) => workers[i]!.kill(),
    async restartGateway(r = {}) {
      await gateway.stop();
      if (r.downMs !== undefined) await new Promise((res) => setTimeout(res, r.downMs));
      gateway = await startGateway();
    },
    async stop() {
      await Promise.all([gateway.stop(), monitor.stop(), ...workers.map((w) => w.stop())]);
      await stopBus();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
