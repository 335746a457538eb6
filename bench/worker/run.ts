// pnpm bench:worker: the cloud worker against raw onnxruntime-node on the same tail, in one run.
//   ort_ratio      = worker throughput at saturation (many concurrent unary gRPC calls on loopback) /
//                    onnxruntime-node alone running the same tail at the same batch sizes   (limit >= 0.85)
//   batching_gain  = worker throughput with batching / with batching off (max batch 1)        (limit >= 3)
//   added_p50_ms   = at low load (one request at a time), p50 of the worker's time for a request minus
//                    its session run (server-side total_us - compute_us)                      (limit < 0.5)
// Environment: BENCH_WORKER_MODEL (model dir, default models/fmnist-tiny), BENCH_WORKER_PARTITION
// (default: the first partition), BENCH_WORKER_SECONDS (measure window per phase, default 4),
// BENCH_WORKER_BATCH (max batch size, default 32), BENCH_WORKER_CONCURRENCY (default 2 x batch).
// The same two ratios over InferStream (one bidirectional stream per client channel) are printed too.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { decodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { loadModelRepository, openSession } from '@bottlenet/model-repo';
import { AgentEncoder, WorkerClient, fashionMnistTest } from '@bottlenet/cloud-worker/testing';
import type { InferReply, InferRequest, InferStreamReply } from '@bottlenet/protocol';
import { startWorkerProcess } from './worker-process.js';

const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');
const MODEL_DIR = resolve(ROOT, process.env.BENCH_WORKER_MODEL ?? 'models/fmnist-tiny');
const SECONDS = Number(process.env.BENCH_WORKER_SECONDS ?? 4);
const WARM_SECONDS = 1;
const MAX_BATCH = Number(process.env.BENCH_WORKER_BATCH ?? 32);
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 2 * MAX_BATCH);
const CLIENTS = 4;
const SAMPLES = 512;
const LIMITS = { ortRatio: 0.85, batchingGain: 3, addedP50Ms: 0.5 };

const log = (s: string): void => void process.stdout.write(`${s}\n`);

interface Saturation {
  throughput: number;
  /** CPU seconds the worker process and this (client) process spent in the window, per request, microseconds. */
  workerCpuUsPerReq: number;
  clientCpuUsPerReq: number;
  /** Session-run time per request (batch compute / batch size), microseconds. */
  computeUsPerReq: number;
  /** Session runs of each batch size during the window. */
  batches: Map<number, number>;
}

/** Closed-loop load from CONCURRENCY callers spread over CLIENTS channels; counts the measured window. */
async function saturate(
  transport: 'unary' | 'stream',
  pid: number,
  port: number,
  model: string,
  partitionId: string,
  frames: Uint8Array[],
): Promise<Saturation> {
  const clients = Array.from({ length: CLIENTS }, () => new WorkerClient(`127.0.0.1:${port}`, { 'grpc.use_local_subchannel_pool': 1 }));
  const t0 = performance.now();
  const measureFrom = t0 + WARM_SECONDS * 1000;
  const end = measureFrom + SECONDS * 1000;
  let done = 0;
  const sizeCounts = new Map<number, number>();
  let next = 0;
  let computeUs = 0;
  let cpu0: { worker: number; client: number } | undefined;
  let cpu1: { worker: number; client: number } | undefined;
  const marks = [
    setTimeout(() => (cpu0 = cpuNow(pid)), measureFrom - t0),
    setTimeout(() => (cpu1 = cpuNow(pid)), end - t0),
  ];
  const record = (r: InferReply): void => {
    const now = performance.now();
    if (now >= measureFrom && now < end) {
      done++;
      const b = r.timings!.batchSize;
      computeUs += r.timings!.computeUs / b;
      sizeCounts.set(b, (sizeCounts.get(b) ?? 0) + 1);
    }
  };
  const request = (): InferRequest => ({
    model,
    version: '',
    partitionId,
    topK: 1,
    timeoutMs: 0,
    requestId: '',
    payload: { $case: 'featureFrame', featureFrame: Buffer.from(frames[next++ % frames.length]!) },
  });
  const unaryLoop = async (c: WorkerClient): Promise<void> => {
    while (performance.now() < end) record(await c.infer(request()));
  };
  /** One bidirectional stream per client channel, keeping `window` requests outstanding on it. */
  const streamLoop = (c: WorkerClient, window: number): Promise<void> =>
    new Promise((resolveLoop, reject) => {
      const stream = c.inference.inferStream();
      let ended = false;
      const send = (): void => {
        if (performance.now() >= end) {
          if (!ended) {
            ended = true;
            stream.end();
          }
          return;
        }
        stream.write(request());
      };
      stream.on('data', (m: InferStreamReply) => {
        if (m.result?.$case === 'reply') record(m.result.reply);
        else reject(new Error(`stream request failed: ${JSON.stringify(m.result)}`));
        send();
      });
      stream.on('end', () => resolveLoop());
      stream.on('error', reject);
      for (let i = 0; i < window; i++) send();
    });
  if (transport === 'unary') await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => unaryLoop(clients[i % CLIENTS]!)));
  else await Promise.all(clients.map((c) => streamLoop(c, CONCURRENCY / CLIENTS)));
  for (const c of clients) c.close();
  for (const t of marks) clearTimeout(t);
  cpu1 ??= cpuNow(pid);
  cpu0 ??= cpu1;
  // A batch of size b answers b requests.
  const batches = new Map([...sizeCounts].map(([b, n]) => [b, Math.max(1, Math.round(n / b))]));
  return {
    throughput: done / SECONDS,
    batches,
    workerCpuUsPerReq: ((cpu1.worker - cpu0.worker) * 1e6) / done,
    clientCpuUsPerReq: ((cpu1.client - cpu0.client) * 1e6) / done,
    computeUsPerReq: computeUs / done,
  };
}

/** CPU seconds (user + system) of process `pid` (from /proc) and of this process. */
function cpuNow(pid: number): { worker: number; client: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const self = process.cpuUsage();
  return { worker: ticks / 100, client: (self.user + self.system) / 1e6 };
}

/** onnxruntime-node alone: the same tail, the same session options, the same mix of batch sizes. */
async function rawOrt(partitionId: string, features: Float32Array[], batches: Map<number, number>): Promise<number> {
  const repo = await loadModelRepository(MODEL_DIR);
  const opened = await openSession(repo, { partition: partitionId, part: 'tail' }, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const shape = repo.partition(partitionId).featureShape;
  const size = shape[0] * shape[1] * shape[2];
  const tensors = new Map<number, Tensor>();
  for (const b of batches.keys()) {
    const data = new Float32Array(b * size);
    for (let i = 0; i < b; i++) data.set(features[i % features.length]!, i * size);
    tensors.set(b, new Tensor('float32', data, [b, ...shape]));
  }
  // Interleave the sizes in proportion to how often the worker ran them.
  const schedule: number[] = [];
  for (const [b, n] of batches) for (let i = 0; i < n; i++) schedule.push(b);
  for (let i = schedule.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [schedule[i], schedule[j]] = [schedule[j]!, schedule[i]!];
  }
  const run = (b: number) => opened.session.run({ [opened.inputName]: tensors.get(b)! });
  for (const b of batches.keys()) await run(b);
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  let samples = 0;
  for (let i = 0; performance.now() < end; i++) {
    const b = schedule[i % schedule.length]!;
    await run(b);
    samples += b;
  }
  const elapsed = (performance.now() - t0) / 1000;
  await opened.session.release();
  return samples / elapsed;
}

/** One request at a time: the worker's own time per request besides the session run. */
async function lowLoad(port: number, model: string, partitionId: string, frames: Uint8Array[]): Promise<{ addedP50Ms: number; rttP50Ms: number; computeP50Ms: number }> {
  const c = new WorkerClient(`127.0.0.1:${port}`);
  const added: number[] = [];
  const rtt: number[] = [];
  const compute: number[] = [];
  for (let i = 0; i < 1300; i++) {
    const t0 = performance.now();
    const r = await c.infer({ model, partitionId, topK: 1, payload: { $case: 'featureFrame', featureFrame: Buffer.from(frames[i % frames.length]!) } });
    const t1 = performance.now();
    if (i < 300) continue;
    added.push((r.timings!.totalUs - r.timings!.computeUs) / 1000);
    compute.push(r.timings!.computeUs / 1000);
    rtt.push(t1 - t0);
  }
  c.close();
  return { addedP50Ms: median(added), rttP50Ms: median(rtt), computeP50Ms: median(compute) };
}

function cpuLine(s: Saturation): string {
  return `CPU per request: worker ${s.workerCpuUsPerReq.toFixed(0)} us (session run ${s.computeUsPerReq.toFixed(0)} us), clients ${s.clientCpuUsPerReq.toFixed(0)} us`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function describeBatches(b: Map<number, number>): string {
  const runs = [...b.values()].reduce((s, n) => s + n, 0);
  const samples = [...b].reduce((s, [k, n]) => s + k * n, 0);
  return `mean batch ${(samples / runs).toFixed(1)} over ${runs} runs`;
}

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

async function main(): Promise<number> {
  const started = performance.now();
  const repo = await loadModelRepository(MODEL_DIR);
  const m = repo.manifest;
  const partitionId = process.env.BENCH_WORKER_PARTITION ?? m.partitions[0]!.id;
  const { images } = fashionMnistTest(SAMPLES);
  const enc = await AgentEncoder.open(repo, partitionId);
  const frames = await enc.encode(pixelsForInput(images.pixels, images.count, m.input.shape), images.count);
  await enc.release();
  const features = frames.map((f) => decodeFeatureFrame(f).data);
  log(`bench worker: ${m.name}@${m.version} tail ${partitionId}, ${frames.length} real frames (mean ${(frames.reduce((s, f) => s + f.length, 0) / frames.length).toFixed(1)} B), max batch ${MAX_BATCH}, ${CONCURRENCY} concurrent callers on ${CLIENTS} channels, ${SECONDS} s windows, 1 onnxruntime thread`);

  const common = { WORKER_MODELS: MODEL_DIR, WORKER_INTRA_OP_THREADS: '1', WORKER_MAX_QUEUE_SIZE: String(4 * CONCURRENCY) };
  const batched = await startWorkerProcess({ ...common, WORKER_MAX_BATCH_SIZE: String(MAX_BATCH) });
  let sat: Saturation;
  let satUnary: Saturation;
  let low: Awaited<ReturnType<typeof lowLoad>>;
  try {
    low = await lowLoad(batched.port, m.name, partitionId, frames);
    satUnary = await saturate('unary', batched.child.pid!, batched.port, m.name, partitionId, frames);
    sat = await saturate('stream', batched.child.pid!, batched.port, m.name, partitionId, frames);
  } finally {
    await batched.stop();
  }
  log(`worker, batching on, unary calls:      ${satUnary.throughput.toFixed(0)} req/s (${describeBatches(satUnary.batches)}); ${cpuLine(satUnary)}`);
  log(`worker, batching on, InferStream:      ${sat.throughput.toFixed(0)} req/s (${describeBatches(sat.batches)}); ${cpuLine(sat)}`);
  const raw = await rawOrt(partitionId, features, sat.batches);
  const rawUnary = await rawOrt(partitionId, features, satUnary.batches);
  log(`onnxruntime-node alone, same batch sizes: ${raw.toFixed(0)} samples/s (stream mix), ${rawUnary.toFixed(0)} samples/s (unary mix)`);

  const unbatchedWorker = await startWorkerProcess({ ...common, WORKER_MAX_BATCH_SIZE: '1' });
  let off: Saturation;
  let offUnary: Saturation;
  try {
    offUnary = await saturate('unary', unbatchedWorker.child.pid!, unbatchedWorker.port, m.name, partitionId, frames);
    off = await saturate('stream', unbatchedWorker.child.pid!, unbatchedWorker.port, m.name, partitionId, frames);
  } finally {
    await unbatchedWorker.stop();
  }
  log(`worker, batching off, unary calls:     ${offUnary.throughput.toFixed(0)} req/s; ${cpuLine(offUnary)}`);
  log(`worker, batching off, InferStream:     ${off.throughput.toFixed(0)} req/s; ${cpuLine(off)}`);
  log(`InferStream (informative): ort_ratio ${(sat.throughput / raw).toFixed(3)}, batching_gain ${(sat.throughput / off.throughput).toFixed(2)}`);
  log(`low load: p50 client round trip ${low.rttP50Ms.toFixed(3)} ms, session run ${low.computeP50Ms.toFixed(3)} ms, worker added ${low.addedP50Ms.toFixed(3)} ms`);

  // The headline numbers use unary Infer, the call the gateway makes.
  const ortRatio = satUnary.throughput / rawUnary;
  const gain = satUnary.throughput / offUnary.throughput;
  const checks = [
    ['ort_ratio', ortRatio, ortRatio >= LIMITS.ortRatio, `>= ${LIMITS.ortRatio}`],
    ['batching_gain', gain, gain >= LIMITS.batchingGain, `>= ${LIMITS.batchingGain}`],
    ['added_p50_ms', low.addedP50Ms, low.addedP50Ms < LIMITS.addedP50Ms, `< ${LIMITS.addedP50Ms}`],
  ] as const;
  for (const [name, v, ok, limit] of checks) log(`${name} ${v.toFixed(3)} (limit ${limit}) ${ok ? 'ok' : 'MISSED'}`);
  log(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  log(`worker: ort_ratio=${ortRatio.toFixed(3)} batching_gain=${gain.toFixed(2)} added_p50_ms=${low.addedP50Ms.toFixed(3)}`);
  return checks.every(([, , ok]) => ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
