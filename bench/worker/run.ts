// pnpm bench:worker: the cloud worker against raw onnxruntime-node on the same tail, in one run.
//   ort_ratio      = worker throughput at saturation (many concurrent unary gRPC Infer calls on loopback) /
//                    onnxruntime-node alone running the same tail at the same batch sizes   (limit >= 0.85)
//   batching_gain  = worker throughput with batching / with batching off (max batch 1)        (limit >= 3)
//   added_p50_ms   = at low load (one request at a time), p50 of the worker's time for a request minus
//                    its session run (server-side total_us - compute_us)                      (limit < 0.5)
// The headline (last line, exit status) is the paper-shaped network: scenes-resnet50-slim, tail rb1 (the
// ResNet-50 split after the first residual block); every shipped repository's first tail is measured the
// same way and printed in the table, so nothing is hidden.
// Each repository: R rounds, each interleaving worker-batched, raw ORT (the batch sizes that round
// formed), worker-unbatched and raw ORT at batch 1; the ratios are medians over the rounds.
// Environment: BENCH_WORKER_MODEL / BENCH_WORKER_PARTITION (headline; default scenes-resnet50-slim, its
// first partition), BENCH_WORKER_MODELS (comma list for the table; default the three shipped ones),
// BENCH_WORKER_SECONDS (window per phase, default 3), BENCH_WORKER_ROUNDS (default 3), BENCH_WORKER_BATCH
// (max batch, default 32), BENCH_WORKER_CONCURRENCY (default 2 x batch), BENCH_WORKER_CLIENT (`h2`,
// default: pre-serialised calls over node:http2; or `grpc-js`), BENCH_WORKER_COMPUTE_THREADS (default 1),
// BENCH_WORKER_NODE_ARGS (extra node flags for the worker processes; default none).
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { decodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { loadModelRepository, openSession, type ModelRepository } from '@bottlenet/model-repo';
import { AgentEncoder, WorkerClient, fashionMnistTest } from '@bottlenet/cloud-worker/testing';
import type { InferReply, InferRequest } from '@bottlenet/protocol';
import { H2InferClient, frameRequest } from './h2-client.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');
const HEADLINE_DIR = resolve(ROOT, process.env.BENCH_WORKER_MODEL ?? 'models/scenes-resnet50-slim');
const TABLE_DIRS = (
  process.env.BENCH_WORKER_MODELS ??
  'models/fmnist-tiny,models/fmnist-resnet-small,models/scenes-resnet50-slim'
)
  .split(',')
  .map((d) => resolve(ROOT, d.trim()));
const SECONDS = Number(process.env.BENCH_WORKER_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 3);
const WARM_SECONDS = 0.5;
const MAX_BATCH = Number(process.env.BENCH_WORKER_BATCH ?? 32);
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 2 * MAX_BATCH);
const CLIENT_KIND = process.env.BENCH_WORKER_CLIENT === 'grpc-js' ? 'grpc-js' : 'h2';
const COMPUTE_THREADS = process.env.BENCH_WORKER_COMPUTE_THREADS ?? '1';
/** Extra node flags for the worker processes, e.g. `--max-semi-space-size=32` (docs/cloud-worker.md). */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '')
  .split(' ')
  .filter((a) => a !== '');
const CHANNELS = 4;
const SAMPLES = 512;
const LIMITS = { ortRatio: 0.85, batchingGain: 3, addedP50Ms: 0.5 };

const log = (s: string): void => void process.stdout.write(`${s}\n`);

interface Saturation {
  throughput: number;
  /** CPU of the worker process and of this (client) process in the window, per request, microseconds. */
  workerCpuUsPerReq: number;
  /** CPU of the worker's JS thread alone (gRPC, decode, batching, replies), per request, microseconds. */
  jsThreadCpuUsPerReq: number;
  clientCpuUsPerReq: number;
  /** Session-run time per request (batch compute / batch size), microseconds. */
  computeUsPerReq: number;
  /** Session runs of each batch size during the window. */
  batches: Map<number, number>;
}

/** Closed-loop load: CONCURRENCY callers on CHANNELS connections; counts the measured window only. */
async function saturate(
  worker: WorkerProcess,
  model: string,
  partitionId: string,
  frames: readonly Uint8Array[],
): Promise<Saturation> {
  const address = `127.0.0.1:${worker.port}`;
  const requests: InferRequest[] = frames.map((f) => ({
    model,
    version: '',
    partitionId,
    topK: 1,
    timeoutMs: 0,
    requestId: '',
    payload: { $case: 'featureFrame', featureFrame: Buffer.from(f) },
  }));
  let call: (i: number, channel: number) => Promise<InferReply>;
  let close: () => void;
  if (CLIENT_KIND === 'h2') {
    const framed = requests.map(frameRequest);
    const clients = Array.from({ length: CHANNELS }, () => new H2InferClient(address));
    call = (i, ch) => clients[ch]!.infer(framed[i % framed.length]!);
    close = () => clients.forEach((c) => c.close());
  } else {
    const clients = Array.from(
      { length: CHANNELS },
      () => new WorkerClient(address, { 'grpc.use_local_subchannel_pool': 1 }),
    );
    call = (i, ch) => clients[ch]!.infer(requests[i % requests.length]!);
    close = () => clients.forEach((c) => c.close());
  }
  const t0 = performance.now();
  const measureFrom = t0 + WARM_SECONDS * 1000;
  const end = measureFrom + SECONDS * 1000;
  let done = 0;
  let next = 0;
  let computeUs = 0;
  const sizeCounts = new Map<number, number>();
  let cpu0: CpuSample | undefined;
  let cpu1: CpuSample | undefined;
  const pid = worker.child.pid!;
  const marks = [
    setTimeout(() => (cpu0 = cpuNow(pid)), measureFrom - t0),
    setTimeout(() => (cpu1 = cpuNow(pid)), end - t0),
  ];
  const loop = async (ch: number): Promise<void> => {
    while (performance.now() < end) {
      const r = await call(next++, ch);
      const now = performance.now();
      if (now >= measureFrom && now < end) {
        done++;
        const b = r.timings!.batchSize;
        computeUs += r.timings!.computeUs / b;
        sizeCounts.set(b, (sizeCounts.get(b) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => loop(i % CHANNELS)));
  close();
  for (const t of marks) clearTimeout(t);
  cpu1 ??= cpuNow(pid);
  cpu0 ??= cpu1;
  // A batch of size b answers b requests.
  const batches = new Map([...sizeCounts].map(([b, n]) => [b, Math.max(1, Math.round(n / b))]));
  return {
    throughput: done / SECONDS,
    batches,
    workerCpuUsPerReq: ((cpu1.worker - cpu0.worker) * 1e6) / done,
    jsThreadCpuUsPerReq: ((cpu1.jsThread - cpu0.jsThread) * 1e6) / done,
    clientCpuUsPerReq: ((cpu1.client - cpu0.client) * 1e6) / done,
    computeUsPerReq: computeUs / done,
  };
}

interface CpuSample {
  readonly worker: number;
  readonly jsThread: number;
  readonly client: number;
}

/** User + system CPU seconds in a /proc stat file. */
function statCpu(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of process `pid` (all threads; its JS thread alone) and of this process. */
function cpuNow(pid: number): CpuSample {
  const self = process.cpuUsage();
  return {
    worker: statCpu(`/proc/${pid}/stat`),
    jsThread: statCpu(`/proc/${pid}/task/${pid}/stat`),
    client: (self.user + self.system) / 1e6,
  };
}

/** onnxruntime-node alone: the same tail file and session options (1 intra-op thread), given batch sizes. */
class RawOrt {
  private readonly tensors = new Map<number, Tensor>();

  private constructor(
    private readonly opened: Awaited<ReturnType<typeof openSession>>,
    private readonly features: readonly Float32Array[],
  ) {}

  static async open(
    repo: ModelRepository,
    partitionId: string,
    features: readonly Float32Array[],
  ): Promise<RawOrt> {
    const opened = await openSession(
      repo,
      { partition: partitionId, part: 'tail' },
      { intraOpNumThreads: 1, interOpNumThreads: 1 },
    );
    return new RawOrt(opened, features);
  }

  private tensor(b: number): Tensor {
    let t = this.tensors.get(b);
    if (t === undefined) {
      const size = this.opened.inputShape.reduce((x, y) => x * y, 1);
      const data = new Float32Array(b * size);
      for (let i = 0; i < b; i++) data.set(this.features[i % this.features.length]!, i * size);
      t = new Tensor('float32', data, [b, ...this.opened.inputShape]);
      this.tensors.set(b, t);
    }
    return t;
  }

  /** Samples per second over `seconds`, running the sizes interleaved in proportion to `batches`. */
  async throughput(batches: ReadonlyMap<number, number>, seconds: number): Promise<number> {
    const schedule: number[] = [];
    for (const [b, n] of batches) for (let i = 0; i < n; i++) schedule.push(b);
    for (let i = schedule.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [schedule[i], schedule[j]] = [schedule[j]!, schedule[i]!];
    }
    const run = (b: number) => this.opened.session.run({ [this.opened.inputName]: this.tensor(b) });
    for (const b of batches.keys()) await run(b);
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let samples = 0;
    for (let i = 0; performance.now() < end; i++) {
      const b = schedule[i % schedule.length]!;
      await run(b);
      samples += b;
    }
    return samples / ((performance.now() - t0) / 1000);
  }

  release(): Promise<void> {
    return this.opened.session.release();
  }
}

/** One request at a time (grpc-js client): the worker's own time per request besides the session run. */
async function lowLoad(
  port: number,
  model: string,
  partitionId: string,
  frames: readonly Uint8Array[],
): Promise<{ addedP50Ms: number; rttP50Ms: number; computeP50Ms: number }> {
  const c = new WorkerClient(`127.0.0.1:${port}`);
  const added: number[] = [];
  const rtt: number[] = [];
  const compute: number[] = [];
  for (let i = 0; i < 1200; i++) {
    const t0 = performance.now();
    const r = await c.infer({
      model,
      partitionId,
      topK: 1,
      payload: { $case: 'featureFrame', featureFrame: Buffer.from(frames[i % frames.length]!) },
    });
    const t1 = performance.now();
    if (i < 200) continue;
    added.push((r.timings!.totalUs - r.timings!.computeUs) / 1000);
    compute.push(r.timings!.computeUs / 1000);
    rtt.push(t1 - t0);
  }
  c.close();
  return { addedP50Ms: median(added), rttP50Ms: median(rtt), computeP50Ms: median(compute) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function meanBatch(b: ReadonlyMap<number, number>): number {
  const runs = [...b.values()].reduce((s, n) => s + n, 0);
  const samples = [...b].reduce((s, [k, n]) => s + k * n, 0);
  return samples / runs;
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

interface Row {
  name: string;
  partitionId: string;
  frameBytes: number;
  on: number;
  raw: number;
  off: number;
  rawB1: number;
  ortRatio: number;
  gain: number;
  rawGain: number;
  meanBatch: number;
  workerCpuUs: number;
  jsThreadCpuUs: number;
  clientCpuUs: number;
  computeUs: number;
  workerCpuOffUs: number;
  addedP50Ms: number;
  rttP50Ms: number;
  computeP50Ms: number;
}

async function measureRepository(dir: string, partitionOverride: string | undefined): Promise<Row> {
  const repo = await loadModelRepository(dir);
  const m = repo.manifest;
  const partitionId = partitionOverride ?? m.partitions[0]!.id;
  const { images } = fashionMnistTest(SAMPLES);
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
    WORKER_COMPUTE_THREADS: COMPUTE_THREADS,
    WORKER_MAX_QUEUE_SIZE: String(4 * CONCURRENCY),
    WORKER_WARMUP_RUNS: '2',
  };
  const batched = await startWorkerProcess(
    { ...common, WORKER_MAX_BATCH_SIZE: String(MAX_BATCH) },
    60_000,
    WORKER_NODE_ARGS,
  );
  const unbatched = await startWorkerProcess(
    { ...common, WORKER_MAX_BATCH_SIZE: '1' },
    60_000,
    WORKER_NODE_ARGS,
  );
  const raw = await RawOrt.open(repo, partitionId, features);
  const rounds: { on: Saturation; off: Saturation; raw: number; rawB1: number }[] = [];
  let low: Awaited<ReturnType<typeof lowLoad>>;
  try {
    low = await lowLoad(batched.port, m.name, partitionId, frames);
    for (let r = 0; r < ROUNDS; r++) {
      const on = await saturate(batched, m.name, partitionId, frames);
      const rawMix = await raw.throughput(on.batches, SECONDS);
      const off = await saturate(unbatched, m.name, partitionId, frames);
      const rawB1 = await raw.throughput(new Map([[1, 1]]), SECONDS);
      rounds.push({ on, off, raw: rawMix, rawB1 });
    }
  } finally {
    await raw.release();
    await batched.stop();
    await unbatched.stop();
  }
  const med = (f: (x: (typeof rounds)[number]) => number): number => median(rounds.map(f));
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

function rowLine(r: Row): string {
  const cells = [
    `${r.name} ${r.partitionId}`.padEnd(30),
    r.on.toFixed(0).padStart(7),
    r.raw.toFixed(0).padStart(7),
    r.ortRatio.toFixed(3).padStart(6),
    r.off.toFixed(0).padStart(7),
    r.gain.toFixed(2).padStart(6),
    r.rawGain.toFixed(2).padStart(6),
    r.meanBatch.toFixed(1).padStart(5),
    `${r.workerCpuUs.toFixed(0)}/${r.jsThreadCpuUs.toFixed(0)}/${r.computeUs.toFixed(0)}`.padStart(
      14,
    ),
    r.clientCpuUs.toFixed(0).padStart(6),
    r.addedP50Ms.toFixed(3).padStart(6),
  ];
  return cells.join(' ');
}

async function main(): Promise<number> {
  const started = performance.now();
  const headlineRepo = await loadModelRepository(HEADLINE_DIR);
  const headlinePartition =
    process.env.BENCH_WORKER_PARTITION ?? headlineRepo.manifest.partitions[0]!.id;
  const dirs = TABLE_DIRS.includes(HEADLINE_DIR) ? TABLE_DIRS : [...TABLE_DIRS, HEADLINE_DIR];
  log(
    `bench worker: ${dirs.map((d) => basename(d)).join(', ')}; first tail of each (headline ${headlineRepo.manifest.name} ${headlinePartition}); ` +
      `${SAMPLES} real frames, max batch ${MAX_BATCH}, ${CONCURRENCY} concurrent unary callers on ${CHANNELS} connections (${CLIENT_KIND} client, a separate process), ` +
      `${ROUNDS} rounds x ${SECONDS} s windows (medians), 1 onnxruntime intra-op thread, ${COMPUTE_THREADS} compute thread(s) in the worker${WORKER_NODE_ARGS.length > 0 ? `, worker node flags ${WORKER_NODE_ARGS.join(' ')}` : ''}`,
  );
  const rows: Row[] = [];
  let headline: Row | undefined;
  for (const dir of dirs) {
    const row = await measureRepository(dir, dir === HEADLINE_DIR ? headlinePartition : undefined);
    rows.push(row);
    if (dir === HEADLINE_DIR) headline = row;
    log(`  measured ${row.name} ${row.partitionId} (mean frame ${row.frameBytes.toFixed(0)} B)`);
  }
  log('');
  log(
    `${'tail'.padEnd(30)} ${'on/s'.padStart(7)} ${'raw/s'.padStart(7)} ${'ort'.padStart(6)} ${'off/s'.padStart(7)} ${'gain'.padStart(6)} ${'rawgn'.padStart(6)} ${'batch'.padStart(5)} ${'wcpu/js/run'.padStart(14)} ${'ccpu'.padStart(6)} ${'added'.padStart(6)}`,
  );
  for (const r of rows) log(rowLine(r));
  log(
    'on/s, off/s: worker req/s with batching (max 32) / off (max 1); raw/s: onnxruntime-node alone, samples/s at the batch sizes the worker formed; ' +
      'ort = on/raw; gain = on/off; rawgn = raw ORT at those sizes / raw ORT at batch 1 (the most batching can give on that tail); ' +
      'wcpu/js/run: worker CPU per request (all threads) / its JS thread alone / session run per request, us; ccpu: load generator CPU per request, us; added: low-load p50 ms',
  );
  const h = headline!;
  log('');
  log(
    `headline: ${h.name} tail ${h.partitionId} (the paper-shaped ResNet-50 split, the configuration the mesh is built for)`,
  );
  log(
    `low load: p50 client round trip ${h.rttP50Ms.toFixed(3)} ms, session run ${h.computeP50Ms.toFixed(3)} ms, worker added ${h.addedP50Ms.toFixed(3)} ms`,
  );
  if (h.rawGain < LIMITS.batchingGain) {
    log(
      `note: onnxruntime-node alone gains only ${h.rawGain.toFixed(2)}x from batch 1 to the batch sizes the worker formed on this tail, ` +
        `so batching_gain >= ${LIMITS.batchingGain} is out of reach for any server on it (the worker reached ${h.gain.toFixed(2)}x)`,
    );
  }
  const checks = [
    ['ort_ratio', h.ortRatio, h.ortRatio >= LIMITS.ortRatio, `>= ${LIMITS.ortRatio}`],
    ['batching_gain', h.gain, h.gain >= LIMITS.batchingGain, `>= ${LIMITS.batchingGain}`],
    ['added_p50_ms', h.addedP50Ms, h.addedP50Ms < LIMITS.addedP50Ms, `< ${LIMITS.addedP50Ms}`],
  ] as const;
  for (const [name, v, ok, limit] of checks)
    log(`${name} ${v.toFixed(3)} (limit ${limit}) ${ok ? 'ok' : 'MISSED'}`);
  log(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  log(
    `worker: ort_ratio=${h.ortRatio.toFixed(3)} batching_gain=${h.gain.toFixed(2)} added_p50_ms=${h.addedP50Ms.toFixed(3)}`,
  );
  return checks.every(([, , ok]) => ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `bench worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(2);
  },
);
