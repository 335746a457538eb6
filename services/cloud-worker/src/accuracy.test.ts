// Accuracy through the worker: every sample of the Fashion-MNIST test set the manifest was measured on
// (its `testSamples`, the first N of t10k, or all 10,000) goes through the partition's real head and the
// real codec exactly as the agent sends it, then over gRPC through the worker's batcher and tail. The
// top-1 accuracy must equal the manifest's per-partition figure within 0.3 points.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModelRepository, type ModelRepository } from '@bottlenet/model-repo';
import { compileWorkerConfig, startWorker, type CloudWorker } from './index.js';
import {
  AgentEncoder,
  FASHION_MNIST_DIR,
  WorkerClient,
  fashionMnistTest,
} from './testing/index.js';

const MODELS_DIR = resolve(new URL('.', import.meta.url).pathname, '../../../models');
const TOLERANCE = 0.003;
const IN_FLIGHT = 256;

/** Repositories of native 28x28 Fashion-MNIST models; others (e.g. generated scenes) are not this test set. */
function fashionMnistRepos(): string[] {
  if (!existsSync(MODELS_DIR)) return [];
  return readdirSync(MODELS_DIR)
    .map((d) => join(MODELS_DIR, d))
    .filter((d) => existsSync(join(d, 'manifest.json')));
}

/** How many leading test samples the manifest's accuracy figures were measured on. */
function testSamples(repo: ModelRepository, partition: number): number {
  const m = repo.manifest as unknown as {
    testSamples?: number;
    partitions: { training: { testSamples?: number } }[];
  };
  return m.partitions[partition]?.training.testSamples ?? m.testSamples ?? 10_000;
}

const skip = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'))
  ? undefined
  : `no Fashion-MNIST at ${FASHION_MNIST_DIR}`;

let worker: CloudWorker | undefined;
let client: WorkerClient | undefined;
const repos: ModelRepository[] = [];

before(async () => {
  if (skip !== undefined) return;
  for (const dir of fashionMnistRepos()) {
    const repo = await loadModelRepository(dir);
    const [c, h, w] = repo.manifest.input.shape;
    if (c === 1 && h === 28 && w === 28) repos.push(repo);
  }
  if (repos.length === 0) return;
  const config = compileWorkerConfig({
    logLevel: 'silent',
    models: repos.map((r) => r.dir),
    grpc: { host: '127.0.0.1', port: 0 },
    metrics: { enabled: false },
    batching: { maxBatchSize: 64, maxQueueSize: 2 * IN_FLIGHT },
    onnx: { intraOpNumThreads: 1, warmupRuns: 1 },
  });
  worker = await startWorker(config, { defaultMetrics: false });
  client = new WorkerClient(`127.0.0.1:${worker.grpcPort}`);
});

after(async () => {
  client?.close();
  await worker?.shutdown();
});

test(
  'per-partition accuracy served through the worker equals the manifest within 0.3 points',
  { skip },
  async (t) => {
    assert.ok(repos.length > 0, `no 1x28x28 model repository under ${MODELS_DIR}`);
    for (const repo of repos) {
      const m = repo.manifest;
      for (let pi = 0; pi < m.partitions.length; pi++) {
        const p = m.partitions[pi]!;
        const n = testSamples(repo, pi);
        const { images, labels } = fashionMnistTest(n);
        const enc = await AgentEncoder.open(repo, p.id);
        const frames = await enc.encode(images.pixels, images.count);
        await enc.release();
        let correct = 0;
        for (let start = 0; start < frames.length; start += IN_FLIGHT) {
          const replies = await Promise.all(
            frames.slice(start, start + IN_FLIGHT).map((f) =>
              client!.infer({
                model: m.name,
                version: m.version,
                partitionId: p.id,
                topK: 1,
                payload: { $case: 'featureFrame', featureFrame: Buffer.from(f) },
              }),
            ),
          );
          replies.forEach((r, i) => {
            if (r.topK[0]!.classIndex === labels[start + i]) correct++;
          });
        }
        const acc = correct / frames.length;
        t.diagnostic(
          `${m.name}@${m.version}/${p.id}: ${(acc * 100).toFixed(2)}% over ${frames.length} samples, manifest ${(p.accuracy * 100).toFixed(2)}%`,
        );
        assert.ok(
          Math.abs(acc - p.accuracy) <= TOLERANCE + 1e-9,
          `${m.name}/${p.id}: served ${acc} vs manifest ${p.accuracy} (${frames.length} samples)`,
        );
      }
    }
  },
);
