import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferReply, type LoadHint } from '@bottlenet/protocol';
import { serializeInferReply } from './reply-serializer.js';

const load: LoadHint = {
  workerId: 'w1',
  queueDepth: 3,
  inFlight: 32,
  capacity: 160,
  queueCapacity: 2000,
  partitions: [
    {
      model: 'm',
      version: '1',
      partitionId: 'rb1',
      queueDepth: 3,
      inFlight: 32,
      ewmaServiceMs: 20.5,
      ewmaBatchSize: 28.25,
      ewmaQueueMs: 12.5,
      maxBatchSize: 32,
      completedTotal: 12345,
    },
  ],
  timestampMs: 1_700_000_000_000,
};

const reply = (requestId: string, l: LoadHint | undefined): InferReply => ({
  requestId,
  topK: [{ classIndex: 3, label: 'dress', score: 0.875 }],
  timings: { queueUs: 1234, decodeUs: 20, computeUs: 20000, totalUs: 30000, batchSize: 28 },
  load: l,
  workerId: 'w1',
  model: 'm',
  version: '1',
  partitionId: 'rb1',
});

test('a reply with a shared, pre-encoded load hint decodes to the same message as the generated encoder', () => {
  for (const r of [reply('a', load), reply('b', load), reply('c', undefined)]) {
    const ours = serializeInferReply(r);
    assert.deepEqual(InferReply.decode(ours), InferReply.decode(InferReply.encode(r).finish()));
    assert.deepEqual(InferReply.decode(ours), r);
  }
});
