// Backpressure and deadlines: a full queue answers RESOURCE_EXHAUSTED at once with a retry hint; a
// request whose budget ends while queued is dropped before compute.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { ERROR_TYPE_METADATA_KEY, RETRY_AFTER_METADATA_KEY } from '@bottlenet/protocol';
import { errorTrailer, startTestWorker, tinyFrames } from '../testing/index.js';

let frames: Uint8Array[];

before(async () => {
  ({ frames } = await tinyFrames(1));
});

describe('backpressure and deadlines', () => {
  test('a full queue answers RESOURCE_EXHAUSTED at once with a retry-after-ms trailer', async () => {
    const w = await startTestWorker({
      batching: { maxQueueSize: 2, maxQueueDelayMs: 400, maxBatchSize: 32 },
    });
    try {
      const req = {
        model: 'fmnist-tiny',
        partitionId: 'rb1',
        payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(frames[0]!) },
      };
      const held = [w.client.infer(req), w.client.infer(req)];
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      const e = await w.client.inferError(req);
      assert.ok(performance.now() - t0 < 200, 'the rejection must not wait for the queue');
      assert.equal(e.code, status.RESOURCE_EXHAUSTED);
      assert.match(e.details, /queue is full \(2 requests\)/);
      assert.ok(Number(errorTrailer(e, RETRY_AFTER_METADATA_KEY)) >= 1);
      assert.equal(errorTrailer(e, ERROR_TYPE_METADATA_KEY), 'queue_full');
      const ok = await Promise.all(held);
      assert.equal(ok.length, 2);
      assert.equal(ok[0]!.timings!.batchSize, 2);
    } finally {
      await w.stop();
    }
  });

  test('a request whose budget ends while queued is dropped before compute with DEADLINE_EXCEEDED', async () => {
    const w = await startTestWorker({ batching: { maxQueueDelayMs: 300 } });
    try {
      const req = {
        model: 'fmnist-tiny',
        partitionId: 'rb1',
        payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(frames[0]!) },
      };
      const idle = (await w.client.getLoad()).partitions.find((p) => p.partitionId === 'rb1')!;
      const e = await w.client.inferError({ ...req, timeoutMs: 30 });
      assert.equal(e.code, status.DEADLINE_EXCEEDED);
      assert.match(e.details, /before compute/);
      // A gRPC deadline alone works the same way (the client may report it first).
      const e2 = await w.client.inferError(req, { deadlineMs: 50 });
      assert.equal(e2.code, status.DEADLINE_EXCEEDED);
      const load = await w.client.getLoad();
      const rb1 = load.partitions.find((p) => p.partitionId === 'rb1')!;
      assert.equal(rb1.ewmaBatchSize, 0, 'no session run happened for dropped requests');
      assert.equal(rb1.ewmaServiceMs, idle.ewmaServiceMs, 'the warm-up figure is still reported');
    } finally {
      await w.stop();
    }
  });
});
