import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError, Code } from '@bottlenet/errors';
import { InferRequest } from '@bottlenet/protocol';
import { InferRequestEncoder } from './infer-request-encoder.js';
import { Deadlines } from './deadlines.js';

test('the hand-built InferRequest is byte-identical to the generated encoder', () => {
  const frame = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 255));
  const cases: InferRequest[] = [
    {
      model: 'scenes-resnet50-slim',
      version: '1',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: frame },
      timeoutMs: 3000,
      requestId: 'a1b2c3d4-0000-4000-8000-000000000000',
      topK: 5,
    },
    {
      model: 'm',
      version: '',
      partitionId: 'cloud',
      payload: { $case: 'inputImage', inputImage: frame.subarray(0, 3) },
      timeoutMs: 0,
      requestId: '',
      topK: 0,
    },
    {
      model: 'mödel',
      version: 'v2',
      partitionId: '',
      payload: undefined,
      timeoutMs: 2 ** 32 - 1,
      requestId: 'probe-é',
      topK: 200,
    },
    {
      model: '',
      version: '',
      partitionId: 'rb14',
      payload: { $case: 'featureFrame', featureFrame: Buffer.alloc(0) },
      timeoutMs: 1,
      requestId: 'x',
      topK: 1,
    },
  ];
  for (const r of cases) {
    const mine = new InferRequestEncoder(r.model, r.version).encode(r);
    assert.deepEqual(new Uint8Array(mine), InferRequest.encode(r).finish());
    assert.deepEqual(InferRequest.decode(mine), r);
  }
});

test('deadlines abort late calls only, on one shared timer', async () => {
  const d = new Deadlines();
  const late = d.start(20, 'gateway /v1/infer');
  const early = d.start(10_000, 'gateway /v1/infer');
  const finished = d.start(5, 'gateway /v1/plan');
  finished.done();
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(late.signal.aborted);
  const reason: unknown = late.signal.reason;
  assert.ok(
    reason instanceof MeshError &&
      reason.code === Code.DeadlineExceeded &&
      reason.type === 'timeout',
  );
  assert.match(reason.message, /gateway \/v1\/infer did not answer within 20 ms/);
  assert.equal(finished.signal.aborted, false);
  assert.equal(early.signal.aborted, false);
  early.done();
  assert.equal(d.size, 0);
});
