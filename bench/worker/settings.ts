// The bench's knobs, read once from the environment (see the header of run.ts).
import { resolve } from 'node:path';

export const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');

const maxBatch = Number(process.env.BENCH_WORKER_BATCH ?? 32);

export const settings = Object.freeze({
  /** The headline repository (last line, exit status). */
  headlineDir: resolve(ROOT, process.env.BENCH_WORKER_MODEL ?? 'models/fmnist-resnet-mlp'),
  headlinePartition: process.env.BENCH_WORKER_PARTITION,
  /** Repositories measured for the table. */
  tableDirs: (
    process.env.BENCH_WORKER_MODELS ??
    'models/fmnist-tiny,models/fmnist-resnet-small,models/fmnist-resnet-mlp,models/scenes-resnet50-slim'
  )
    .split(',')
    .map((d) => resolve(ROOT, d.trim())),
  /** Measured window per phase, seconds. */
  seconds: Number(process.env.BENCH_WORKER_SECONDS ?? 2),
  /** Worker and raw windows alternate this many times: onnxruntime's own speed on this shared host moves
   * by +-15 % from second to second on a weight-heavy tail, so the ratios are medians of many pairs. */
  rounds: Number(process.env.BENCH_WORKER_ROUNDS ?? 5),
  /** Load before each measured window, seconds. */
  warmSeconds: 0.5,
  maxBatch,
  concurrency: Number(process.env.BENCH_WORKER_CONCURRENCY ?? 2 * maxBatch),
  client: process.env.BENCH_WORKER_CLIENT === 'grpc-js' ? ('grpc-js' as const) : ('h2' as const),
  computeThreads: process.env.BENCH_WORKER_COMPUTE_THREADS ?? '1',
  /** Extra node flags for the worker processes, e.g. `--max-semi-space-size=32` (docs/cloud-worker.md). */
  workerNodeArgs: (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
  /** HTTP/2 connections the saturating callers share. */
  channels: 4,
  /** Real frames encoded per repository. */
  samples: 512,
  /** Sequential calls at low load, and how many of the first are dropped as warm-up. */
  lowLoadCalls: 1200,
  lowLoadWarmup: 200,
});

export const LIMITS = Object.freeze({ ortRatio: 0.85, batchingGain: 3, addedP50Ms: 0.5 });
