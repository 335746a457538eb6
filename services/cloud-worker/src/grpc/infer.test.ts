// A serving worker (in-process, port 0, real grpc-js client, real ONNX and codec on models/fmnist-tiny):
// health, Infer on real frames, top-k, cloud-only JPEG, batching, GetLoad.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { encodeJpegImage } from '@bottlenet/bottleneck-codec';
import type { ModelRepository } from '@bottlenet/model-repo';
import { HealthCheckResponse_ServingStatus } from '@bottlenet/protocol';
import { startTestWorker, tinyFrames, type TestWorker } from '../testing/index.js';

const N = 16;
let repo: ModelRepository;
let frames: Uint8Array[];
let labels: Uint8Array;
let pixels: Uint8Array;

before(async () => {
  ({ repo, frames, labels, pixels } = await tinyFrames(N));
});

describe('a serving worker', () => {
  let w: TestWorker;
  before(async () => {
    w = await startTestWorker();
  });
  after(async () => {
    await w.stop();
  });

  test('health is SERVING for the whole server and the inference service, NOT_FOUND for others', async () => {
    assert.equal((await w.client.check('')).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal(
      (await w.client.check('bottlenet.v1.InferenceService')).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
    await assert.rejects(
      w.client.check('nope.Service'),
      (e: ServiceError) => e.code === status.NOT_FOUND,
    );
  });

  test('Infer runs a tail on a real frame and answers top-k, timings and the load hint', async () => {
    const reply = await w.client.infer({
      model: 'fmnist-tiny',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: Buffer.from(frames[0]!) },
      requestId: 'r-1',
      topK: 3,
    });
    assert.equal(reply.requestId, 'r-1');
    assert.equal(reply.topK.length, 3);
    assert.equal(reply.version, '1');
    assert.equal(reply.partitionId, 'rb1');
    assert.ok(reply.topK[0]!.score >= reply.topK[1]!.score);
    assert.equal(reply.topK[0]!.label, repo.manifest.classes[reply.topK[0]!.classIndex]);
    const t = reply.timings!;
    assert.ok(t.computeUs > 0 && t.totalUs >= t.computeUs && t.batchSize >= 1, JSON.stringify(t));
    assert.ok(reply.load!.partitions.some((p) => p.partitionId === 'rb1'));
    assert.ok(reply.load!.capacity > 0);
    assert.equal(reply.workerId, w.worker.config.workerId);
  });

  test('default top-k is 5, capped at the number of classes', async () => {
    const frame = { $case: 'featureFrame' as const, featureFrame: Buffer.from(frames[1]!) };
    assert.equal(
      (await w.client.infer({ model: 'fmnist-tiny', partitionId: 'rb1', payload: frame })).topK
        .length,
      5,
    );
    assert.equal(
      (await w.client.infer({ model: 'fmnist-tiny', partitionId: 'rb1', payload: frame, topK: 50 }))
        .topK.length,
      10,
    );
  });

  test('cloud-only: a JPEG input image runs the full network', async () => {
    let correct = 0;
    for (let i = 0; i < N; i++) {
      const jpeg = encodeJpegImage(pixels.subarray(i * 784, (i + 1) * 784), 28, 28, 1, 90);
      const r = await w.client.infer({
        model: 'fmnist-tiny',
        partitionId: 'cloud',
        payload: { $case: 'inputImage', inputImage: Buffer.from(jpeg) },
      });
      assert.equal(r.partitionId, 'cloud');
      if (r.topK[0]!.classIndex === labels[i]) correct++;
    }
    // The tiny model's baseline is ~73%: far above chance (10%) on 16 images.
    assert.ok(correct >= 6, `cloud-only got ${correct}/${N} right`);
  });

  test('concurrent requests are batched and each gets its own answer', async () => {
    const single = await Promise.all(
      frames.map((f) =>
        w.client.infer({
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: { $case: 'featureFrame', featureFrame: Buffer.from(f) },
        }),
      ),
    );
    const again = await Promise.all(
      frames.map((f) =>
        w.client.infer({
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: { $case: 'featureFrame', featureFrame: Buffer.from(f) },
        }),
      ),
    );
    assert.deepEqual(
      again.map((r) => r.topK[0]!.classIndex),
      single.map((r) => r.topK[0]!.classIndex),
    );
    assert.ok(
      [...single, ...again].some((r) => r.timings!.batchSize > 1),
      'some of 16 concurrent requests should share a batch',
    );
  });

  test('GetLoad reports every partition, the served models and readiness', async () => {
    const r = await w.client.getLoad();
    assert.equal(r.ready, true);
    assert.equal(r.workerId, w.worker.config.workerId);
    assert.deepEqual(
      r.models.map((m) => [m.name, m.version, [...m.partitionIds].sort()]),
      [['fmnist-tiny', '1', ['cloud', 'rb1', 'rb3']]],
    );
    const rb1 = r.partitions.find((p) => p.partitionId === 'rb1')!;
    assert.ok(
      rb1.completedTotal > 0 && rb1.ewmaServiceMs > 0 && rb1.ewmaBatchSize >= 1,
      JSON.stringify(rb1),
    );
    assert.equal(rb1.maxBatchSize, 32);
    assert.equal(r.capacity, 3 * 32);
    assert.equal(r.queueCapacity, 3 * 512);
    assert.ok(r.address.endsWith(`:${w.worker.grpcPort}`));
  });
});
