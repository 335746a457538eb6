// Shared by test/control-plane-gateway-*.integration.test.ts: the gateway as a real process, fed by a
// real load monitor through a real redis-server (self-registration with heartbeats), and helpers to call
// it and to watch its view. `gatewayEnvironment()` registers the before/after hooks of the suite it is
// called in.
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { encodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { InferReply, InferRequest } from '@bottlenet/protocol';
import {
  assertNoneRunning,
  startGateway,
  startLoadMonitor,
  startRedis,
  stopAll,
  TINY_MODEL_DIR,
  until,
  type RedisHandle,
  type ServiceHandle,
  type TestInferenceServer,
} from './harness/index.js';

export const PREFIX = 'gwtest:';
export const KEY = 'integration-key-0123456789';
export const MODEL = 'fmnist-tiny';
/** The gateway's infer.lastKnownMs here: how long workers missing from the view stay a last resort. */
export const LAST_KNOWN_MS = 5000;

/** A real feature frame for the tiny model's rb1 partition (1 x 14 x 14, JPEG q20, tables omitted). */
export function rb1Frame(seed: number): Buffer {
  const f = new Float32Array(14 * 14).map((_, i) => Math.abs(Math.sin(i * 0.37 + seed)) * 3);
  return Buffer.from(
    encodeFeatureFrame(f, [1, 14, 14], { codec: 'jpeg', quality: 20, bits: 8, omitTables: true }),
  );
}

export function inferBody(over: Partial<InferRequest> = {}): Buffer {
  return Buffer.from(
    InferRequest.encode({
      model: MODEL,
      version: '',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: rb1Frame(1) },
      timeoutMs: 5000,
      requestId: '',
      topK: 3,
      ...over,
    }).finish(),
  );
}

// the harness's poller, re-exported for the two gateway test files
export { until };

export interface InferResult {
  res: Response;
  bytes: Buffer;
  reply: InferReply | undefined;
  error: { code: string; message: string; type?: string } | undefined;
}

/** Redis, the monitor and the gateway for the calling suite, and what its tests use. */
export interface GatewayEnvironment {
  readonly redis: RedisHandle;
  readonly gateway: ServiceHandle;
  /** A client of the same Redis (the monitor's keys are under PREFIX). */
  readonly client: Redis;
  /** Test inference servers the tests start; killed after the suite. */
  readonly servers: TestInferenceServer[];
  infer: (body?: Buffer, headers?: Record<string, string>) => Promise<InferResult>;
  /** Self-registration as a worker does it: refreshed every 200 ms with a 1 s TTL. */
  register: (id: string, address: string) => Promise<void>;
  deregister: (id: string) => Promise<void>;
  /** The ready workers of the summary in Redis. */
  viewWorkers: () => Promise<string[]>;
  /** Waits until the gateway itself routes to exactly `n` workers (its /readyz counts them). */
  gatewaySees: (n: number) => Promise<true>;
}

export function gatewayEnvironment(): GatewayEnvironment {
  let redis: RedisHandle;
  let client: Redis;
  let gateway: ServiceHandle;
  const servers: TestInferenceServer[] = [];

  const infer = async (
    body: Buffer = inferBody(),
    headers: Record<string, string> = {},
  ): Promise<InferResult> => {
    const res = await fetch(`${gateway.url}/v1/infer`, {
      method: 'POST',
      body,
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/x-protobuf',
        ...headers,
      },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const isProto =
      res.status === 200 && res.headers.get('content-type') === 'application/x-protobuf';
    return {
      res,
      bytes,
      reply: isProto ? InferReply.decode(bytes) : undefined,
      error:
        res.status === 200
          ? undefined
          : (JSON.parse(bytes.toString()) as { code: string; message: string; type?: string }),
    };
  };
  // Self-registration as a worker does it: the key is refreshed every 200 ms with a 1 s TTL (so it
  // comes back by itself after Redis restarts empty).
  const heartbeats = new Map<string, NodeJS.Timeout>();
  const register = async (id: string, address: string) => {
    const beat = () =>
      client.set(`${PREFIX}registry:${id}`, address, 'PX', 1000).catch(() => undefined);
    heartbeats.set(
      id,
      setInterval(() => void beat(), 200),
    );
    await beat();
  };
  const deregister = async (id: string) => {
    clearInterval(heartbeats.get(id));
    heartbeats.delete(id);
    await client.del(`${PREFIX}registry:${id}`);
  };
  const viewWorkers = async (): Promise<string[]> => {
    const s = await client.get(`${PREFIX}cloud`);
    return s === null
      ? []
      : (JSON.parse(s) as { workers: { id: string; ready: boolean }[] }).workers
          .filter((w) => w.ready)
          .map((w) => w.id);
  };
  /** Waits until the gateway itself routes to exactly these workers (its /readyz counts them). */
  const gatewaySees = (n: number) =>
    until(`gateway view with ${String(n)} workers`, async () => {
      const r = (await (await fetch(`${gateway.url}/readyz`)).json()) as { workers: number };
      return r.workers === n ? true : undefined;
    });

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await startLoadMonitor({
      monitorId: 'gw-test',
      redis: { url: redis.url, keyPrefix: PREFIX, reconnectBaseMs: 20, reconnectMaxMs: 200 },
      discovery: { registry: true, refreshMs: 100, registryGraceMs: 1200 },
      pollIntervalMs: 100,
      pollTimeoutMs: 300,
      ttlMs: 800,
    });
    gateway = await startGateway({
      redis: {
        url: redis.url,
        keyPrefix: PREFIX,
        refreshMs: 100,
        staleAfterMs: 500,
        reconnectBaseMs: 20,
        reconnectMaxMs: 200,
      },
      apiKeys: [{ name: 'it', key: KEY, ratePerSecond: 100_000 }],
      modelDirs: [TINY_MODEL_DIR],
      infer: { suspectMs: 2000, lastKnownMs: LAST_KNOWN_MS },
    });
  });

  after(async () => {
    for (const t of heartbeats.values()) clearInterval(t);
    client?.disconnect();
    for (const s of servers) s.kill();
    await stopAll();
    await redis?.stop();
    assertNoneRunning();
  });

  return {
    get redis() {
      return redis;
    },
    get gateway() {
      return gateway;
    },
    get client() {
      return client;
    },
    servers,
    infer,
    register,
    deregister,
    viewWorkers,
    gatewaySees,
  };
}
