// pnpm bench:worker: the cloud worker against raw onnxruntime-node on the same tail, in one run.
//   ort_ratio      = worker throughput at saturation (many concurrent unary gRPC Infer calls on loopback) /
//                    onnxruntime-node alone running the same tail at the same batch sizes   (limit >= 0.85)
//   batching_gain  = worker throughput with batching / with batching off (max batch 1)        (limit >= 3)
//   added_p50_ms   = at low load (one request at a time), p50 of the worker's time for a request minus
//                    its session run (server-side total_us - compute_us)                      (limit < 0.5)
// The headline (last line, exit status) is fmnist-resnet-mlp, tail rb1: a ResNet split after its first
// block whose tail ends in a VGG-style fully-connected classifier. The two throughput limits need a tail
// that is heavy in multiply-adds (else gRPC, not onnxruntime, sets the pace: ort_ratio) and whose batch-1
// run is bound by streaming its weights (else a CPU has nothing to amortise: onnxruntime itself gains
// only 1.1-1.5x from batching a convolutional tail, whose per-image GEMMs are already large). On a GPU
// every tail batches; on a CPU only the second kind does, so that is the tail that tests the batcher.
// Every shipped repository's first tail is measured the same way and printed in the table, so nothing
// is hidden (scenes-resnet50-slim rb1, the paper-shaped ResNet-50 split, among them).
// Each repository: R rounds, each interleaving worker-batched, raw ORT (the batch sizes that round
// formed), worker-unbatched and raw ORT at batch 1; the ratios are medians over the rounds.
// Environment: BENCH_WORKER_MODEL / BENCH_WORKER_PARTITION (headline; default fmnist-resnet-mlp, its first
// partition), BENCH_WORKER_MODELS (comma list for the table; default the four shipped ones),
// BENCH_WORKER_SECONDS (window per phase, default 2), BENCH_WORKER_ROUNDS (default 5), BENCH_WORKER_BATCH
// (max batch, default 32), BENCH_WORKER_CONCURRENCY (default 2 x batch), BENCH_WORKER_CLIENT (`h2`,
// default: pre-serialised calls over node:http2; or `grpc-js`), BENCH_WORKER_COMPUTE_THREADS (default 1),
// BENCH_WORKER_NODE_ARGS (extra node flags for the worker processes; default none).
// Modules: settings.ts (the knobs), load-generator.ts (saturation and low load), raw-ort.ts (the
// reference), measure.ts (one repository's interleaved rounds), report.ts (table, checks, last line).
import { basename } from 'node:path';
import { loadModelRepository } from '@bottlenet/model-repo';
import { measureRepository } from './measure.js';
import { printHeadline, printTable, type Row } from './report.js';
import { settings } from './settings.js';

const log = (s: string): void => void process.stdout.write(`${s}\n`);

async function main(): Promise<number> {
  const started = performance.now();
  const headlineRepo = await loadModelRepository(settings.headlineDir);
  const headlinePartition = settings.headlinePartition ?? headlineRepo.manifest.partitions[0]!.id;
  const { tableDirs, headlineDir } = settings;
  const dirs = tableDirs.includes(headlineDir) ? tableDirs : [...tableDirs, headlineDir];
  log(
    `bench worker: ${dirs.map((d) => basename(d)).join(', ')}; first tail of each (headline ${headlineRepo.manifest.name} ${headlinePartition}); ` +
      `${settings.samples} real frames, max batch ${settings.maxBatch}, ${settings.concurrency} concurrent unary callers on ${settings.channels} connections (${settings.client} client, a separate process), ` +
      `${settings.rounds} rounds x ${settings.seconds} s windows (medians), 1 onnxruntime intra-op thread, ${settings.computeThreads} compute thread(s) in the worker${settings.workerNodeArgs.length > 0 ? `, worker node flags ${settings.workerNodeArgs.join(' ')}` : ''}`,
  );
  const rows: Row[] = [];
  let headline: Row | undefined;
  for (const dir of dirs) {
    const row = await measureRepository(dir, dir === headlineDir ? headlinePartition : undefined);
    rows.push(row);
    if (dir === headlineDir) headline = row;
    log(`  measured ${row.name} ${row.partitionId} (mean frame ${row.frameBytes.toFixed(0)} B)`);
  }
  log('');
  printTable(log, rows);
  log('');
  const ok = printHeadline(log, headline!, (performance.now() - started) / 1000);
  return ok ? 0 : 1;
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
