import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { Code, MeshError } from '@bottlenet/errors';
import { encodeFeatureFrame, encodeJpegImage } from '@bottlenet/bottleneck-codec';
import { loadModelRepository, type ModelRepository } from '@bottlenet/model-repo';
import {
  HealthCheckResponse_ServingStatus,
  RETRY_AFTER_METADATA_KEY,
  ERROR_TYPE_METADATA_KEY,
} from '@bottlenet/protocol';
import { compileWorkerConfig, startWorker, type CloudWorker, type WorkerOptions } from './index.js';
import {
  AgentEncoder,
  WorkerClient,
  TINY_MODEL_DIR,
  copyRepository,
  fashionMnistTest,
} from './testing/index.js';

const silent = { logLevel: 'silent' as const };

async function start(
  options: WorkerOptions,
): Promise<{ worker: CloudWorker; client: WorkerClient; stop: () => Promise<void> }> {
  const config = compileWorkerConfig({
    ...silent,
    models: [TINY_MODEL_DIR],
    onnx: { intraOpNumThreads: 1, warmupRuns: 1 },
    ...options,
    grpc: { host: '127.0.0.1', port: 0, ...options.grpc },
    metrics: { host: '127.0.0.1', port: 0, enabled: false, ...options.metrics },
  });
  const worker = await startWorker(config, { defaultMetrics: false });
  const client = new WorkerClient(`127.0.0.1:${worker.grpcPort}`);
  return {
    worker,
    client,
    stop: async () => {
      client.close();
      await worker.shutdown();
    },
  };
}

function trailer(e: ServiceError, key: string): string | undefined {
  const v = e.metadata?.get(key)[0];
  return v === undefined ? undefined : String(v);
}

let repo: ModelRepository;
let frames: Uint8Array[];
let labels: Uint8Array;
let pixels: Uint8Array;
const N = 16;

before(async () => {
  repo = await loadModelRepository(TINY_MODEL_DIR);
  const data = fashionMnistTest(N);
  pixels = data.images.pixels;
  labels = data.labels;
  const enc = await AgentEncoder.open(repo, 'rb1');
  frames = await enc.encode(pixels, N);
  await enc.release();
});

describe('a serving worker', () => {
  let w: Awaited<ReturnType<typeof start>>;
  before(async () => {
    w = await start({ metrics: { enabled: true } });
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

  test('every kind of bad input gets its own status and a message naming the problem', async () => {
    const frame = (f: Uint8Array) => ({
      $case: 'featureFrame' as const,
      featureFrame: Buffer.from(f),
    });
    const cases: [string, Parameters<WorkerClient['infer']>[0], status, RegExp, string][] = [
      [
        'unknown model',
        { model: 'nope', partitionId: 'rb1', payload: frame(frames[0]!) },
        status.NOT_FOUND,
        /unknown model "nope".*fmnist-tiny/,
        'model_unknown',
      ],
      [
        'unknown version',
        { model: 'fmnist-tiny', version: '9', partitionId: 'rb1', payload: frame(frames[0]!) },
        status.NOT_FOUND,
        /no version "9".*serving 1/,
        'version_unknown',
      ],
      [
        'unknown partition',
        { model: 'fmnist-tiny', partitionId: 'rb7', payload: frame(frames[0]!) },
        status.NOT_FOUND,
        /no partition "rb7".*rb1, rb3, cloud/,
        'partition_unknown',
      ],
      [
        'no model',
        { partitionId: 'rb1', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /names no model/,
        'model_missing',
      ],
      [
        'no partition',
        { model: 'fmnist-tiny', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /no partition_id/,
        'partition_missing',
      ],
      [
        'no payload',
        { model: 'fmnist-tiny', partitionId: 'rb1' },
        status.INVALID_ARGUMENT,
        /takes a feature_frame, the request carries no payload/,
        'payload_kind',
      ],
      [
        'image to a tail',
        {
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: { $case: 'inputImage', inputImage: Buffer.from([1, 2, 3]) },
        },
        status.INVALID_ARGUMENT,
        /takes a feature_frame/,
        'payload_kind',
      ],
      [
        'frame to cloud',
        { model: 'fmnist-tiny', partitionId: 'cloud', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /takes an input_image/,
        'payload_kind',
      ],
      [
        'garbage frame',
        {
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: frame(Buffer.from('hello world, not a frame')),
        },
        status.INVALID_ARGUMENT,
        /frame starts with 0x6865/,
        'frame_bad_magic',
      ],
      [
        'truncated frame',
        {
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: frame(frames[0]!.subarray(0, frames[0]!.length - 5)),
        },
        status.INVALID_ARGUMENT,
        /./,
        '',
      ],
      [
        'wrong shape',
        { model: 'fmnist-tiny', partitionId: 'rb3', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /frame shape 1x14x14 does not match the expected 2x7x7/,
        'frame_shape_mismatch',
      ],
      [
        'bad image',
        {
          model: 'fmnist-tiny',
          partitionId: 'cloud',
          payload: { $case: 'inputImage', inputImage: Buffer.from('not a jpeg at all') },
        },
        status.INVALID_ARGUMENT,
        /./,
        'image_bad_input',
      ],
      [
        'image of the wrong size',
        {
          model: 'fmnist-tiny',
          partitionId: 'cloud',
          payload: {
            $case: 'inputImage',
            inputImage: Buffer.from(encodeJpegImage(new Uint8Array(32 * 32), 32, 32, 1, 90)),
          },
        },
        status.INVALID_ARGUMENT,
        /32x32, the model takes 28x28/,
        'image_size_mismatch',
      ],
    ];
    for (const [name, req, code, message, type] of cases) {
      const e = await w.client.inferError(req);
      assert.equal(e.code, code, `${name}: got ${e.code} ${e.details}`);
      assert.match(e.details, message, name);
      if (type !== '') assert.equal(trailer(e, ERROR_TYPE_METADATA_KEY), type, name);
    }
    // Still serving after all of that.
    assert.equal((await w.client.check()).status, HealthCheckResponse_ServingStatus.SERVING);
  });

  test('an oversized message is refused by grpc-js with RESOURCE_EXHAUSTED', async () => {
    const big = Buffer.alloc(w.worker.config.grpc.maxReceiveMessageBytes + 1024, 7);
    const e = await w.client.inferError({
      model: 'fmnist-tiny',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: big },
    });
    assert.equal(e.code, status.RESOURCE_EXHAUSTED);
    assert.match(e.details, /larger than max/i);
  });

  test('metrics are served and promtool check metrics is clean', async (t) => {
    const res = await fetch(`http://127.0.0.1:${w.worker.metricsPort}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(
      text,
      /bottlenet_worker_requests_total\{[^}]*partition="rb1"[^}]*code="ok"[^}]*\} \d+/,
    );
    assert.match(text, /bottlenet_worker_requests_total\{[^}]*code="not_found"/);
    assert.match(text, /bottlenet_worker_batch_size_bucket/);
    assert.match(text, /bottlenet_worker_queue_duration_seconds_bucket/);
    assert.match(text, /bottlenet_worker_compute_duration_seconds_bucket/);
    assert.match(text, /bottlenet_worker_ready\{[^}]*\} 1/);
    assert.match(text, /bottlenet_worker_queue_depth\{[^}]*partition="rb3"[^}]*\} 0/);
    assert.match(text, /bottlenet_worker_in_flight_requests\{[^}]*partition="cloud"[^}]*\} 0/);
    if (!existsSync('/usr/bin/promtool')) {
      t.skip('promtool not installed');
      return;
    }
    const file = join(mkdtempSync(join(tmpdir(), 'metrics-')), 'metrics.txt');
    writeFileSync(file, text);
    // promtool prints problems and exits non-zero when there are any.
    const out = execFileSync('/bin/sh', [
      '-c',
      `/usr/bin/promtool check metrics < ${file} 2>&1; echo "exit=$?"`,
    ]).toString();
    assert.match(out, /exit=0/, out);
    assert.equal((await fetch(`http://127.0.0.1:${w.worker.metricsPort}/healthz`)).status, 200);
  });
});

describe('backpressure and deadlines', () => {
  test('a full queue answers RESOURCE_EXHAUSTED at once with a retry-after-ms trailer', async () => {
    const w = await start({
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
      assert.ok(Number(trailer(e, RETRY_AFTER_METADATA_KEY)) >= 1);
      assert.equal(trailer(e, ERROR_TYPE_METADATA_KEY), 'queue_full');
      const ok = await Promise.all(held);
      assert.equal(ok.length, 2);
      assert.equal(ok[0]!.timings!.batchSize, 2);
    } finally {
      await w.stop();
    }
  });

  test('a request whose budget ends while queued is dropped before compute with DEADLINE_EXCEEDED', async () => {
    const w = await start({ batching: { maxQueueDelayMs: 300 } });
    try {
      const req = {
        model: 'fmnist-tiny',
        partitionId: 'rb1',
        payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(frames[0]!) },
      };
      const e = await w.client.inferError({ ...req, timeoutMs: 30 });
      assert.equal(e.code, status.DEADLINE_EXCEEDED);
      assert.match(e.details, /before compute/);
      // A gRPC deadline alone works the same way (the client may report it first).
      const e2 = await w.client.inferError(req, { deadlineMs: 50 });
      assert.equal(e2.code, status.DEADLINE_EXCEEDED);
      const load = await w.client.getLoad();
      const rb1 = load.partitions.find((p) => p.partitionId === 'rb1')!;
      assert.equal(rb1.ewmaServiceMs, 0, 'no session run happened for dropped requests');
    } finally {
      await w.stop();
    }
  });
});

describe('model loading', () => {
  test('a missing repository refuses to start with NOT_FOUND naming the path', async () => {
    await assert.rejects(start({ models: ['/nonexistent/model'] }), (e: unknown) => {
      assert.ok(e instanceof MeshError);
      assert.equal(e.code, Code.NotFound);
      assert.match(e.message, /\/nonexistent\/model/);
      return true;
    });
  });

  test('a file whose sha256 differs from the manifest refuses to start', async () => {
    const bad = copyRepository(TINY_MODEL_DIR, (m) => {
      const parts = m['partitions'] as { tail: { sha256: string } }[];
      parts[0]!.tail.sha256 = '0'.repeat(64);
    });
    await assert.rejects(
      start({ models: [bad] }),
      (e: unknown) =>
        e instanceof MeshError && e.code === Code.FailedPrecondition && /sha256/.test(e.message),
    );
  });

  test('a manifest with a bad field refuses to start and names the field', async () => {
    const bad = copyRepository(TINY_MODEL_DIR, (m) => {
      m['baselineAccuracy'] = 7;
    });
    await assert.rejects(
      start({ models: [bad] }),
      (e: unknown) =>
        e instanceof MeshError &&
        e.code === Code.InvalidArgument &&
        /baselineAccuracy/.test(e.message),
    );
  });

  test('reloading a new version drops no request; the old version stays reachable', async () => {
    const v1 = copyRepository(TINY_MODEL_DIR);
    const v2 = copyRepository(TINY_MODEL_DIR, (m) => {
      m['version'] = '2';
    });
    const w = await start({ models: [v1] });
    try {
      const req = {
        model: 'fmnist-tiny',
        partitionId: 'rb1',
        payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(frames[0]!) },
      };
      let stop = false;
      const versions: string[] = [];
      const failures: unknown[] = [];
      const loops = Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            versions.push((await w.client.infer(req)).version);
          } catch (e) {
            failures.push(e);
          }
        }
      });
      await new Promise((r) => setTimeout(r, 50));
      await w.worker.reload([v2]);
      await new Promise((r) => setTimeout(r, 50));
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(failures, []);
      assert.ok(
        versions.includes('1') && versions.at(-1) === '2',
        `versions seen: ${[...new Set(versions)].join(',')}`,
      );
      assert.equal((await w.client.infer({ ...req, version: '1' })).version, '1');
      const served = (await w.client.getLoad()).models.map((m) => m.version);
      assert.deepEqual(served, ['2', '1']);
    } finally {
      await w.stop();
    }
  });
});

test('encoding with the manifest codec settings gives frames of about meanBytes', () => {
  // Guards the helper the accuracy test and the bench rely on: it must encode as the agent does.
  const mean = frames.reduce((s, f) => s + f.length, 0) / frames.length;
  const want = repo.partition('rb1').meanBytes;
  assert.ok(Math.abs(mean - want) < want * 0.25, `mean frame ${mean} bytes vs manifest ${want}`);
  assert.ok(encodeFeatureFrame(new Float32Array(196), [1, 14, 14], { codec: 'jpeg' }).length > 0);
});
