// The gateway as a real process, fed by a real load monitor through a real redis-server, routing to
// TEST inference servers (for load, failure and deadline scenarios a test controls) and to real cloud
// workers running the shipped tiny model (end to end, and through a Redis crash).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { status } from '@grpc/grpc-js';
import { encodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { InferReply, InferRequest } from '@bottlenet/protocol';
import {
  assertNoneRunning,
  cloudWorkerSkipReason,
  redisSkipReason,
  startCloudWorker,
  startGateway,
  startLoadMonitor,
  startRedis,
  startTestInferenceServer,
  stopAll,
  TINY_MODEL_DIR,
  type RedisHandle,
  type ServiceHandle,
  type TestInferenceServer,
} from './harness/index.js';

const PREFIX = 'gwtest:';
const KEY = 'integration-key-0123456789';
const MODEL = 'fmnist-tiny';
/** The gateway's infer.lastKnownMs here: how long workers missing from the view stay a last resort. */
const LAST_KNOWN_MS = 5000;

/** A real feature frame for the tiny model's rb1 partition (1 x 14 x 14, JPEG q20, tables omitted). */
function rb1Frame(seed: number): Buffer {
  const f = new Float32Array(14 * 14).map((_, i) => Math.abs(Math.sin(i * 0.37 + seed)) * 3);
  return Buffer.from(
    encodeFeatureFrame(f, [1, 14, 14], { codec: 'jpeg', quality: 20, bits: 8, omitTables: true }),
  );
}

function inferBody(over: Partial<InferRequest> = {}): Buffer {
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

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('gateway over Redis and the load monitor', { skip: redisSkipReason() }, () => {
  let redis: RedisHandle;
  let client: Redis;
  let gateway: ServiceHandle;
  const servers: TestInferenceServer[] = [];

  const infer = async (body: Buffer = inferBody(), headers: Record<string, string> = {}) => {
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

  describe('with test inference servers', () => {
    let a: TestInferenceServer;
    let b: TestInferenceServer;
    before(async () => {
      a = await startTestInferenceServer({ workerId: 'test-a', model: MODEL });
      b = await startTestInferenceServer({ workerId: 'test-b', model: MODEL });
      servers.push(a, b);
      await register('test-a', a.address);
      await register('test-b', b.address);
      await gatewaySees(2);
    });
    after(async () => {
      await deregister('test-a');
      await deregister('test-b');
      await gatewaySees(0);
    });

    test('routing follows load: the loaded worker gets fewer requests', async () => {
      a.setLoad({ queueDepth: 40, inFlight: 8 });
      await until('the load in the view', async () => {
        const s = JSON.parse((await client.get(`${PREFIX}cloud`)) ?? '{}') as {
          workers?: { id: string; queueDepth: number }[];
        };
        return s.workers?.find((w) => w.id === 'test-a')?.queueDepth === 40 ? true : undefined;
      });
      await new Promise((r) => setTimeout(r, 300)); // the gateway's next view refresh
      const before = { a: a.inferCalls, b: b.inferCalls };
      const results = await Promise.all(Array.from({ length: 40 }, () => infer()));
      assert.ok(results.every((r) => r.res.status === 200));
      const toA = a.inferCalls - before.a;
      const toB = b.inferCalls - before.b;
      assert.ok(toB > 3 * toA, `loaded worker got ${String(toA)}, idle worker ${String(toB)}`);
      const r = results[0]!;
      assert.match(
        r.res.headers.get('x-bottlenet-load') ?? '',
        /queueDepth=\d+;inFlight=\d+;capacity=8/,
      );
      // '1' only when the monitor's polls timed out on this loaded host and the view was momentarily
      // empty, so the gateway used the last known workers (the test below covers that case).
      assert.match(r.res.headers.get('x-bottlenet-view-stale') ?? '', /^[01]$/);
      assert.equal(r.reply?.requestId, r.res.headers.get('x-request-id'));
      a.setLoad({ queueDepth: 0, inFlight: 0 });
    });

    test('UNAVAILABLE from a worker is retried once on another worker', async () => {
      b.setLoad({ queueDepth: 40 }); // a is now the first choice
      await new Promise((r) => setTimeout(r, 400));
      a.failInfer(status.UNAVAILABLE, 'draining');
      const bBefore = b.inferCalls;
      const r = await infer();
      assert.equal(r.res.status, 200, JSON.stringify(r.error));
      assert.equal(r.res.headers.get('x-bottlenet-attempts'), '2');
      assert.equal(r.res.headers.get('x-bottlenet-worker'), 'test-b');
      assert.equal(b.inferCalls, bBefore + 1);
      // Both unavailable: the caller gets 503 after two attempts.
      b.failInfer(status.UNAVAILABLE, 'draining too');
      a.failInfer(status.UNAVAILABLE, 'draining');
      await new Promise((r) => setTimeout(r, 2100)); // suspect marks expire
      const both = await infer();
      assert.equal(both.res.status, 503);
      assert.equal(both.error?.code, 'unavailable');
      a.failInfer(undefined);
      b.failInfer(undefined);
      b.setLoad({ queueDepth: 0 });
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      assert.match(metrics, /bottlenet_gateway_upstream_retries_total [1-9]/);
    });

    test('worker errors keep their code: RESOURCE_EXHAUSTED is 429, INVALID_ARGUMENT is 400', async () => {
      for (const s of [a, b]) s.failInfer(status.RESOURCE_EXHAUSTED, 'queue full');
      const full = await infer();
      assert.equal(full.res.status, 429);
      assert.equal(full.error?.code, 'resource_exhausted');
      assert.match(full.error?.message ?? '', /queue full/);
      for (const s of [a, b])
        s.failInfer(status.INVALID_ARGUMENT, 'frame shape 1x7x7 does not match 1x14x14');
      const bad = await infer();
      assert.equal(bad.res.status, 400);
      assert.match(bad.error?.message ?? '', /does not match/);
      for (const s of [a, b]) s.failInfer(undefined);
    });

    test('the deadline is propagated, and a budget that runs out is 504', async () => {
      const r = await infer(inferBody({ timeoutMs: 800 }));
      assert.equal(r.res.status, 200);
      const served = [a, b].find((s) => s.workerId === r.res.headers.get('x-bottlenet-worker'))!;
      assert.ok(
        served.lastRequest!.timeoutMs <= 800 && served.lastRequest!.timeoutMs > 700,
        `timeoutMs ${String(served.lastRequest!.timeoutMs)}`,
      );
      assert.ok(
        served.lastDeadlineMs <= 800 && served.lastDeadlineMs > 600,
        `grpc deadline ${String(served.lastDeadlineMs)}`,
      );
      for (const s of [a, b]) s.setInferDelayMs(400);
      const late = await infer(inferBody({ timeoutMs: 100 }));
      assert.equal(late.res.status, 504);
      assert.equal(late.error?.code, 'deadline_exceeded');
      for (const s of [a, b]) s.setInferDelayMs(0);
    });

    test('a dead worker leaves the view and requests go to the others', async () => {
      const c = await startTestInferenceServer({ workerId: 'test-c', model: MODEL });
      servers.push(c);
      await register('test-c', c.address);
      await gatewaySees(3);
      c.kill();
      const results = await Promise.all(Array.from({ length: 20 }, () => infer()));
      assert.deepEqual(
        results.map((r) => r.res.status).filter((s) => s !== 200),
        [],
      );
      await until(
        'test-c gone from the view',
        async () => ((await viewWorkers()).includes('test-c') ? undefined : true),
        3000,
      );
      await deregister('test-c');
    });

    // Last in this group: it takes test-a and test-b away.
    test('a view that suddenly has no workers: the last known ones serve (stale); once gone, 503 no_worker, and at once after the window', async () => {
      await deregister('test-a');
      await deregister('test-b');
      await gatewaySees(0);
      const emptyAt = Date.now();
      const ok = await Promise.all(Array.from({ length: 6 }, () => infer()));
      assert.deepEqual(
        ok.map((r) => r.res.status),
        [200, 200, 200, 200, 200, 200],
        JSON.stringify(ok.map((r) => r.error)),
      );
      assert.ok(
        ok.every((r) => r.res.headers.get('x-bottlenet-view-stale') === '1'),
        'replies from last known workers are marked stale',
      );
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      assert.match(metrics, /bottlenet_gateway_last_known_calls_total [1-9]/);
      assert.match(metrics, /bottlenet_gateway_last_known_workers [2-9]/); // test-a, test-b (and test-c, killed above, when it left less than the window ago)
      // The workers are really gone now: the last known ones refuse connections, the caller gets no_worker.
      a.kill();
      b.kill();
      const t0 = Date.now();
      const gone = await infer();
      assert.ok(
        Date.now() - emptyAt < LAST_KNOWN_MS,
        'still inside the window (else this checks the next case)',
      );
      assert.equal(gone.res.status, 503, JSON.stringify(gone.error));
      assert.equal(gone.error?.type, 'no_worker');
      assert.match(gone.error?.message ?? '', /last known one did not answer/);
      assert.ok(Date.now() - t0 < 2000, `no_worker after ${String(Date.now() - t0)} ms`);
      // After the window nothing is tried any more.
      await new Promise((r) =>
        setTimeout(r, Math.max(0, emptyAt + LAST_KNOWN_MS + 100 - Date.now())),
      );
      const t1 = Date.now();
      const empty = await infer();
      assert.equal(empty.res.status, 503);
      assert.equal(empty.error?.type, 'no_worker');
      assert.match(
        empty.error?.message ?? '',
        /^no ready worker serves model "fmnist-tiny" partition "rb1"$/,
      );
      assert.ok(Date.now() - t1 < 1000, `no_worker after ${String(Date.now() - t1)} ms`);
      assert.match(
        await (await fetch(`${gateway.url}/metrics`)).text(),
        /bottlenet_gateway_last_known_workers 0/,
      );
    });
  });

  describe('with real cloud workers', { skip: cloudWorkerSkipReason() }, () => {
    before(async () => {
      const [w1, w2] = await Promise.all([
        startCloudWorker({ workerId: 'w1' }),
        startCloudWorker({ workerId: 'w2' }),
      ]);
      await register('w1', w1.url);
      await register('w2', w2.url);
      await gatewaySees(2);
    });

    test('end to end: a real frame through the gateway to a real worker, JSON or protobuf', async () => {
      const r = await infer(inferBody({ requestId: 'e2e-1' }));
      assert.equal(r.res.status, 200, JSON.stringify(r.error));
      assert.equal(r.reply?.requestId, 'e2e-1');
      assert.equal(r.reply?.topK.length, 3);
      assert.ok(['w1', 'w2'].includes(r.reply.workerId));
      assert.equal(r.reply?.load?.workerId, r.reply?.workerId);
      const json = await infer(inferBody(), { accept: 'application/json' });
      assert.equal(json.res.status, 200);
      const body = JSON.parse(json.bytes.toString()) as { topK: unknown[]; partitionId: string };
      assert.equal(body.partitionId, 'rb1');
      const plan = await fetch(`${gateway.url}/v1/plan`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          uplink: { bandwidthMbps: 1.1, network: '3g' },
          objective: 'OBJECTIVE_LATENCY',
          currentCandidateId: 'rb1',
        }),
      });
      assert.equal(plan.status, 200);
      const p = (await plan.json()) as {
        cloud: { healthyWorkers: number; stale: boolean; partitions: { partitionId: string }[] };
        chosen: { candidateId: string };
        runnerUp?: { candidateId: string };
      };
      assert.equal(p.cloud.healthyWorkers, 2);
      assert.equal(p.cloud.stale, false);
      assert.ok(p.cloud.partitions.some((x) => x.partitionId === 'rb1'));
      assert.ok(p.runnerUp !== undefined && p.runnerUp.candidateId !== p.chosen.candidateId);
    });

    test('Redis killed and restarted mid-stream loses no request; replies and /readyz say stale meanwhile', async () => {
      const total = 120;
      const statuses: number[] = [];
      let staleReplies = 0;
      let sawStaleReadyz = false;
      let sent = 0;
      const runner = async () => {
        while (sent < total) {
          sent++;
          const r = await infer(
            inferBody({ payload: { $case: 'featureFrame', featureFrame: rb1Frame(sent) } }),
          );
          statuses.push(r.res.status);
          if (r.res.headers.get('x-bottlenet-view-stale') === '1') staleReplies++;
        }
      };
      const chaos = async () => {
        await until('a few requests', () => (sent >= 20 ? true : undefined));
        await redis.kill();
        await until('stale readyz', async () => {
          const r = await fetch(`${gateway.url}/readyz`);
          const b = (await r.json()) as { stale: boolean };
          if (r.status === 200 && b.stale) sawStaleReadyz = true;
          return sawStaleReadyz ? true : undefined;
        });
        const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        assert.match(metrics, /bottlenet_gateway_view_stale 1/);
        await until(
          'more requests during the outage',
          () => (sent >= 70 ? true : undefined),
          30_000,
        );
        await redis.restart();
      };
      await Promise.all([runner(), runner(), chaos()]);
      assert.equal(statuses.length, total);
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
        'every request answered 200',
      );
      assert.ok(staleReplies > 0, 'some replies were marked stale');
      assert.ok(sawStaleReadyz);
      // The monitor republishes into the new Redis (workers re-register) and the view turns fresh again.
      await until(
        'fresh view',
        async () => {
          const b = (await (await fetch(`${gateway.url}/readyz`)).json()) as { stale: boolean };
          return b.stale ? undefined : true;
        },
        20_000,
      );
    });
  });

  test('rejected inputs over real HTTP get their codes', async () => {
    const noKey = await fetch(`${gateway.url}/v1/models`);
    assert.equal(noKey.status, 401);
    const badBody = await infer(Buffer.from([0xff, 0xff, 0xff]));
    assert.equal(badBody.res.status, 400);
    const unknownPartition = await infer(inferBody({ partitionId: 'rb7' }));
    assert.equal(unknownPartition.res.status, 404);
    const tooBig = await infer(Buffer.alloc(2 * 1024 * 1024));
    assert.equal(tooBig.res.status, 413);
  });

  test('SIGTERM: requests in progress finish, then the gateway exits 0', async () => {
    const s = await startTestInferenceServer({ workerId: 'slow', model: MODEL, inferDelayMs: 500 });
    servers.push(s);
    await register('slow', s.address);
    await until(
      'slow worker routable',
      async () => {
        const r = await infer(inferBody({ timeoutMs: 3000 }));
        return r.res.status === 200 && r.res.headers.get('x-bottlenet-worker') === 'slow'
          ? true
          : undefined;
      },
      20_000,
    );
    const inFlight = infer(inferBody({ timeoutMs: 3000 }));
    await new Promise((r) => setTimeout(r, 100));
    const exit = gateway.process.stop();
    const r = await inFlight;
    assert.equal(r.res.status, 200);
    assert.equal((await exit).code, 0);
  });
});
