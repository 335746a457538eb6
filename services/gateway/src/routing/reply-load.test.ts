// readReplyLoad reads the same load numbers as a full InferReply.decode, skips everything else, and
// rejects malformed bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferReply } from '@bottlenet/protocol';
import { readReplyLoad } from './reply-load.js';

const partitions = [1, 2, 3].map((j) => ({
  model: 'fmnist-tiny',
  version: '1',
  partitionId: `rb${String(j)}`,
  queueDepth: j,
  inFlight: 1,
  ewmaServiceMs: 2.5,
  ewmaBatchSize: 1.2,
  ewmaQueueMs: 0.1,
  maxBatchSize: 8,
  completedTotal: 12345,
}));
const reply: InferReply = {
  requestId: 'r-1',
  topK: [{ classIndex: 3, label: 'three', score: 0.9 }],
  timings: { queueUs: 10, decodeUs: 50, computeUs: 400, totalUs: 470, batchSize: 2 },
  load: {
    workerId: 'w1',
    queueDepth: 7,
    inFlight: 3,
    capacity: 8,
    queueCapacity: 512,
    partitions,
    timestampMs: 1_764_446_400_123,
  },
  workerId: 'w1',
  model: 'fmnist-tiny',
  version: '1',
  partitionId: 'rb1',
};

test('the load hint as InferReply.decode reads it, without the rest of the reply', () => {
  const bytes = InferReply.encode(reply).finish();
  const full = InferReply.decode(bytes).load!;
  assert.deepEqual(readReplyLoad(bytes), {
    queueDepth: full.queueDepth,
    inFlight: full.inFlight,
    capacity: full.capacity,
    queueCapacity: full.queueCapacity,
    timestampMs: full.timestampMs,
  });
  assert.deepEqual(readReplyLoad(bytes), {
    queueDepth: 7,
    inFlight: 3,
    capacity: 8,
    queueCapacity: 512,
    timestampMs: 1_764_446_400_123,
  });
});

test('no load hint: undefined; zero fields (omitted on the wire) read as 0', () => {
  assert.equal(readReplyLoad(InferReply.encode({ ...reply, load: undefined }).finish()), undefined);
  const zero = InferReply.encode({
    ...reply,
    load: {
      workerId: 'w1',
      queueDepth: 0,
      inFlight: 0,
      capacity: 0,
      queueCapacity: 0,
      partitions: [],
      timestampMs: 0,
    },
  }).finish();
  assert.deepEqual(readReplyLoad(zero), {
    queueDepth: 0,
    inFlight: 0,
    capacity: 0,
    queueCapacity: 0,
    timestampMs: 0,
  });
});

test('malformed bytes throw', () => {
  const bytes = InferReply.encode(reply).finish();
  assert.throws(() => readReplyLoad(bytes.subarray(0, bytes.length - 3)));
  assert.throws(() => readReplyLoad(Uint8Array.from([0xff, 0xff, 0xff])));
});
