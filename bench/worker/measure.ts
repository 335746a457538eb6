// One repository's row: real frames, two worker processes (batching on / off), raw ORT, interleaved rounds.
import { decodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { loadModelRepository } from '@bottlenet/model-repo';
import { AgentEncoder, fashionMnistTest } from '@bottlenet/cloud-worker/testing';
import { lowLoad, saturate, type LowLoad, type Saturation } from './load-generator.js';
import { RawOrt } from './raw-ort.js';
import type { Row } from './report.js';
import { settings } from './settings.js';
import { meanBatch, median } from './stats.js';
import { startWorkerProcess } from './worker-process.js';

/**
 * Fashion-MNIST test images in the model's input size: as they are for a 1x28x28 model, else scaled
 * (nearest neighbour) and repeated over the channels, HWC, so that any repository's heads get real
 * content to encode.
 */
function pixelsForInput(pixels: Uint8Array, count: number, shape: readonly number[]): Uint8Array {
  const [C = 1, H = 28, W = 28] = shape;
  if (C === 1 && H === 28 && W === 28) return pixels;
  const out = new Uint8Array(count * H * W * C);
  for (let i = 0; i < count; i++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const v = pixels[i * 784 + Math.floor((y * 28) / H) * 28 + Math.floor((x * 28) / W)]!;
        for (let c = 0; c < C; c++) out[((i * H + y) * W + x) * C + c] = v;
      }
  return out;
}

interface Round {
  on: Saturation;
  off: Saturation;
  raw: number;
  rawB1: number;
}

/**
 * Measures the tail `partitionOverride` (default: the first partition) of the repository in `dir`:
 * low load on the batched worker, then `settings.rounds` rounds of worker batched → raw ORT at the batch
 * sizes that round formed → worker unbatched → raw ORT at batch 1; every ratio is the median over rounds.
 */
export async function measureRepository(
  dir: string,
  partitionOverride: string | undefined,
): Promise<Row> {
  const repo = await loadModelRepository(dir);
  const m = repo.manifest;
  const partitionId = partitionOverride ?? m.partitions[0]!.id;
  const { images } = fashionMnistTest(settings.samples);
  const enc = await AgentEncoder.open(repo, partitionId);
  const frames = await enc.encode(
    pixelsForInput(images.pixels, images.count, m.input.shape),
    images.count,
  );
  await enc.release();
  const features = frames.map((f) => decodeFeatureFrame(f).data);
  const common = {
    WORKER_MODELS: dir,
    WORKER_INTRA_OP_THREADS: '1',
    WORKER_COMPUTE_THREADS: settings.computeThreads,
    WORKER_MAX_QUEUE_SIZE: String(4 * settings.concurrency),
    WORKER_WARMUP_RUNS: '2',
  };
  const batched = await startWorkerProcess(
    { ...common, WORKER_MAX_BATCH_SIZE: String(settings.maxBatch) },
    60_000,
    settings.workerNodeArgs,
  );
  const unbatched = await startWorkerProcess(
    { ...common, WORKER_MAX_BATCH_SIZE: '1' },
    60_000,
    settings.workerNodeArgs,
  );
  const raw = await RawOrt.open(repo, partitionId, features);
  const rounds: Round[] = [];
  let low: LowLoad;
  try {
    low = await lowLoad(batched.port, m.name, partitionId, frames);
    for (let r = 0; r < settings.rounds; r++) {
      const on = await saturate(batched, m.name, partitionId, frames);
      const rawMix = await raw.throughput(on.batches, settings.seconds);
      const off = await saturate(unbatched, m.name, partitionId, frames);
      const rawB1 = await raw.throughput(new Map([[1, 1]]), settings.seconds);
      rounds.push({ on, off, raw: rawMix, rawB1 });
    }
  } finally {
    await raw.release();
    await batched.stop();
    await unbatched.stop();
  }
  const med = (f: (x: Round) => number): number => median(rounds.map(f));
  return {
    name: `${m.name}@${m.version}`,
    partitionId,
    frameBytes: frames.reduce((s, f) => s + f.length, 0) / frames.length,
    on: med((x) => x.on.throughput),
    raw: med((x) => x.raw),
    off: med((x) => x.off.throughput),
    rawB1: med((x) => x.rawB1),
    ortRatio: med((x) => x.on.throughput / x.raw),
    gain: med((x) => x.on.throughput / x.off.throughput),
    rawGain: med((x) => x.raw / x.rawB1),
    meanBatch: med((x) => meanBatch(x.on.batches)),
    workerCpuUs: med((x) => x.on.workerCpuUsPerReq),
    jsThreadCpuUs: med((x) => x.on.jsThreadCpuUsPerReq),
    clientCpuUs: med((x) => x.on.clientCpuUsPerReq),
    computeUs: med((x) => x.on.computeUsPerReq),
    workerCpuOffUs: med((x) => x.off.workerCpuUsPerReq),
    ...low,
  };
}
