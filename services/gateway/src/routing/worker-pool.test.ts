// The routing table's last known workers: a view that suddenly has no ready worker for a partition falls
// back to the workers of the previous views for `lastKnownMs`, marked as such; after the window, or when
// they fail, the caller gets no_worker. forwardInfer runs against a real grpc-js server on a free port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { Code, type MeshError } from '@bottlenet/errors';
import type { CloudSummary, WorkerSummary } from '@bottlenet/load-monitor';
import { InferReply, InferRequest, InferenceServiceService } from '@bottlenet/protocol';
import { createGatewayMetrics } from '../metrics.js';
import { forwardInfer } from './forward-infer.js';
import { WorkerPool } from './worker-pool.js';

const MODEL = 'm';
const worker = (id: string, address: string, over: Partial<WorkerSummary> = {}): WorkerSummary => ({
  id,
  address,
  ready: true,
  queueDepth: 0,
  inFlight: 0,
  capacity: 8,
  queueCapacity: 64,
  polledAtMs: 0,
  models: [{ name: MODEL, version: '1', partitionIds: ['rb1'] }],
  ...over,
});
let updatedAtMs = 0;
const summary = (workers: WorkerSummary[]): CloudSummary => ({
  schemaVersion: 1,
  monitorId: 't',
  updatedAtMs: ++updatedAtMs,
  ttlMs: 1000,
  loadLevel: 1,
  utilisation: 0,
  healthyWorkers: workers.filter((w) => w.ready).length,
  queueDepth: 0,
  inFlight: 0,
  capacity: 8,
  partitions: [],
  workers,
});

describe('WorkerPool last known workers', () => {
  let now = 1_000_000;
  const clock = () => now;

  test('a worker missing from the view is a last resort for lastKnownMs, behind every worker of the view', () => {
    const pool = new WorkerPool({ lastKnownMs: 3000, now: clock });
    pool.update(
      summary([worker('a', '127.0.0.1:1'), worker('b', '127.0.0.1:2', { queueDepth: 50 })]),
    );
    assert.equal(pool.pick(MODEL, '', 'rb1')?.id, 'a');
    pool.update(summary([worker('b', '127.0.0.1:2', { queueDepth: 50 })])); // a left the view
    const b = pool.pick(MODEL, '', 'rb1');
    assert.equal(b?.id, 'b', 'the loaded worker of the view wins over the idle last known one');
    assert.equal(b.inView, true);
    assert.equal(pool.serves(MODEL, '', 'rb1'), true);
    assert.equal(pool.lastKnown, 1);
    now += 1000;
    pool.update(summary([])); // the view is empty now
    assert.equal(pool.serves(MODEL, '', 'rb1'), false, 'serves() answers for the view only');
    const fallback = pool.pick(MODEL, '', 'rb1');
    assert.equal(fallback?.inView, false);
    assert.equal(fallback.id, 'a', 'among last known workers the least loaded wins');
    assert.equal(pool.pick(MODEL, '', 'rb1', new Set(['a']))?.id, 'b');
    now += 1999;
    assert.notEqual(pool.pick(MODEL, '', 'rb1'), undefined, "still inside a's window");
    now += 1;
    assert.equal(pool.pick(MODEL, '', 'rb1')?.id, 'b', 'a left 3000 ms ago: out; b left later');
    now += 999;
    assert.equal(pool.pick(MODEL, '', 'rb1')?.id, 'b');
    now += 1;
    assert.equal(pool.pick(MODEL, '', 'rb1'), undefined, 'both windows passed');
    assert.equal(pool.lastKnown, 0);
    pool.update(summary([]));
    assert.equal(pool.size, 0, 'expired entries are closed at the next update');
  });

  test('a worker whose address is not host:port is left out of the routing table', () => {
    const pool = new WorkerPool({ now: clock });
    pool.update(summary([worker('bad', 'no-port'), worker('a', '127.0.0.1:1')]));
    assert.equal(pool.size, 1);
    assert.equal(pool.pick(MODEL, '', 'rb1')?.id, 'a');
    pool.close();
  });

  test('a worker that comes back is in the view again (same entry, same channel)', () => {
    const pool = new WorkerPool({ lastKnownMs: 3000, now: clock });
    pool.update(summary([worker('a', '127.0.0.1:1')]));
    const first = pool.pick(MODEL, '', 'rb1');
    pool.update(summary([]));
    assert.equal(pool.pick(MODEL, '', 'rb1')?.inView, false);
    pool.update(summary([worker('a', '127.0.0.1:1')]));
    const again = pool.pick(MODEL, '', 'rb1');
    assert.equal(again, first);
    assert.equal(again?.inView, true);
    pool.close();
  });

  test('not a fallback: a worker the view lists as not ready, one that was not ready when it left, or lastKnownMs 0', () => {
    const pool = new WorkerPool({ lastKnownMs: 3000, now: clock });
    pool.update(summary([worker('a', '127.0.0.1:1'), worker('b', '127.0.0.1:2')]));
    pool.update(
      summary([
        worker('a', '127.0.0.1:1', { ready: false }),
        worker('b', '127.0.0.1:2', { ready: false }),
      ]),
    );
    assert.equal(pool.pick(MODEL, '', 'rb1'), undefined);
    pool.update(summary([]));
    assert.equal(pool.pick(MODEL, '', 'rb1'), undefined);
    assert.equal(pool.size, 0);
    const off = new WorkerPool({ now: clock });
    off.update(summary([worker('a', '127.0.0.1:1')]));
    off.update(summary([]));
    assert.equal(off.pick(MODEL, '', 'rb1'), undefined);
    assert.equal(off.size, 0);
  });
});

describe('forwardInfer with last known workers (real grpc-js server)', () => {
  const server = new Server();
  let address = '';
  let calls = 0;
  let lastRequest: InferRequest | undefined;
  before(async () => {
    const id = (b: Buffer): Buffer => b;
    server.register(
      InferenceServiceService.infer.path,
      (c: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        calls++;
        const req = InferRequest.decode(c.request);
        lastRequest = req;
        cb(
          null,
          Buffer.from(
            InferReply.encode({
              requestId: req.requestId,
              topK: [],
              workerId: 'a',
              model: req.model,
              version: '1',
              partitionId: req.partitionId,
            }).finish(),
          ),
        );
      },
      id,
      id,
      'unary',
    );
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? rej(e) : res(p),
      ),
    );
    address = `127.0.0.1:${String(port)}`;
  });
  after(() => new Promise<void>((res) => server.tryShutdown(() => res())));

  const request = InferRequest.fromPartial({
    model: MODEL,
    partitionId: 'rb1',
    payload: { $case: 'featureFrame', featureFrame: Buffer.from([1]) },
  });
  const forward = (pool: WorkerPool, metrics = createGatewayMetrics()) =>
    forwardInfer({
      pool,
      metrics,
      request,
      requestBytes: Buffer.from(InferRequest.encode(request).finish()),
      requestId: 'r1',
      deadlineAtMs: Date.now() + 2000,
      suspectMs: 1000,
    });

  test('an empty view: the last known worker serves, the result says so, the metric counts it', async () => {
    let now = Date.now();
    const pool = new WorkerPool({ lastKnownMs: 3000, now: () => now });
    pool.update(summary([worker('a', address)]));
    const live = await forward(pool);
    assert.equal(live.lastKnown, false);
    // The caller's bytes arrive with the remaining budget and the request id appended.
    assert.equal(lastRequest?.requestId, 'r1');
    assert.ok(
      lastRequest.timeoutMs > 1000 && lastRequest.timeoutMs <= 2000,
      `${lastRequest.timeoutMs}`,
    );
    assert.deepEqual(lastRequest.payload, request.payload);
    pool.update(summary([]));
    const metrics = createGatewayMetrics();
    const before = calls;
    const r = await forward(pool, metrics);
    assert.equal(r.lastKnown, true);
    assert.equal(r.worker.id, 'a');
    assert.equal(InferReply.decode(r.replyBytes).requestId, 'r1');
    assert.equal(calls, before + 1);
    assert.match(await metrics.registry.metrics(), /bottlenet_gateway_last_known_calls_total 1/);
    // After the window: no_worker at once, no call.
    now += 3000;
    await assert.rejects(
      forward(pool),
      (e: MeshError) =>
        e.code === Code.Unavailable &&
        e.type === 'no_worker' &&
        /no ready worker serves model "m" partition "rb1"$/.test(e.message),
    );
    assert.equal(calls, before + 1);
    pool.close();
  });

  test('last known workers that do not answer: 503 no_worker naming why', async () => {
    const pool = new WorkerPool({ lastKnownMs: 3000 });
    // Nothing listens on these ports (port 1 and 2 are privileged and unused here): connection refused.
    pool.update(summary([worker('gone1', '127.0.0.1:1'), worker('gone2', '127.0.0.1:2')]));
    pool.update(summary([]));
    const t0 = Date.now();
    await assert.rejects(forward(pool), (e: MeshError) => {
      assert.equal(e.code, Code.Unavailable);
      assert.equal(e.type, 'no_worker');
      assert.match(e.message, /in the current view, and the last known one did not answer/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1500, 'answered promptly, not at the deadline');
    pool.close();
  });
});
