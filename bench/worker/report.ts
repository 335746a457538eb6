// The bench's table, the headline checks against the limits, and the last line.
import { LIMITS } from './settings.js';

/** One measured tail. */
export interface Row {
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

type Log = (line: string) => void;

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

/** Prints every row with a header and a legend. */
export function printTable(log: Log, rows: readonly Row[]): void {
  log(
    `${'tail'.padEnd(30)} ${'on/s'.padStart(7)} ${'raw/s'.padStart(7)} ${'ort'.padStart(6)} ${'off/s'.padStart(7)} ${'gain'.padStart(6)} ${'rawgn'.padStart(6)} ${'batch'.padStart(5)} ${'wcpu/js/run'.padStart(14)} ${'ccpu'.padStart(6)} ${'added'.padStart(6)}`,
  );
  for (const r of rows) log(rowLine(r));
  log(
    'on/s, off/s: worker req/s with batching (max 32) / off (max 1); raw/s: onnxruntime-node alone, samples/s at the batch sizes the worker formed; ' +
      'ort = on/raw; gain = on/off; rawgn = raw ORT at those sizes / raw ORT at batch 1 (the most batching can give on that tail); ' +
      'wcpu/js/run: worker CPU per request (all threads) / its JS thread alone / session run per request, us; ccpu: load generator CPU per request, us; added: low-load p50 ms',
  );
}

/**
 * Prints the headline's details and its checks against the limits, then the last line
 * `worker: ort_ratio=… batching_gain=… added_p50_ms=…`. Returns whether every limit was met.
 */
export function printHeadline(log: Log, h: Row, tookSeconds: number): boolean {
  const paperShaped = h.name.startsWith('scenes-resnet50-slim@');
  log(
    `headline: ${h.name} tail ${h.partitionId}${paperShaped ? ' (the paper-shaped ResNet-50 split, the configuration the mesh is built for)' : ''}`,
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
  log(`took ${tookSeconds.toFixed(1)} s`);
  log(
    `worker: ort_ratio=${h.ortRatio.toFixed(3)} batching_gain=${h.gain.toFixed(2)} added_p50_ms=${h.addedP50Ms.toFixed(3)}`,
  );
  return checks.every(([, , ok]) => ok);
}
