import { expectedCloudMs } from '@bottlenet/planner';
import type { LoadReport } from '@bottlenet/protocol';
import type { CloudSummary, PartitionSummary, WorkerSummary } from './schema.js';

/** What the monitor knows of one worker: its address and its last successful report. */
export interface PolledWorker {
  readonly address: string;
  readonly report: LoadReport;
  /** Unix ms of the poll that returned `report`. */
  readonly polledAtMs: number;
}

export interface SummaryContext {
  readonly monitorId: string;
  readonly ttlMs: number;
  /** @default Date.now() */
  readonly nowMs?: number;
}

/**
 * The cloud-wide summary of the workers polled successfully within `ttlMs`. The load of the ready
 * workers is pooled (the gateway routes each request to the least-loaded one, so the tier behaves
 * like one queue served by every batch slot), then the planner's cloud model gives each partition's
 * expected time: `ewmaServiceMs * max(1, inFlight / capacity) + queueDepth * meanServiceMs / capacity`.
 */
export function computeSummary(polled: Iterable<PolledWorker>, ctx: SummaryContext): CloudSummary {
  const now = ctx.nowMs ?? Date.now();
  const workers: WorkerSummary[] = [];
  const ready: PolledWorker[] = [];
  for (const w of polled) {
    if (now - w.polledAtMs > ctx.ttlMs) continue;
    const r = w.report;
    workers.push({
      id: r.workerId || w.address,
      address: w.address,
      ready: r.ready,
      queueDepth: r.queueDepth,
      inFlight: r.inFlight,
      capacity: r.capacity,
      queueCapacity: r.queueCapacity,
      polledAtMs: w.polledAtMs,
      models: r.models.map((m) => ({
        name: m.name,
        version: m.version,
        partitionIds: [...m.partitionIds],
      })),
    });
    if (r.ready) ready.push(w);
  }
  workers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  let queueDepth = 0;
  let inFlight = 0;
  let capacity = 0;
  const parts = new Map<
    string,
    {
      model: string;
      version: string;
      partitionId: string;
      queue: number;
      inFlight: number;
      serviceSum: number;
      n: number;
    }
  >();
  for (const w of ready) {
    queueDepth += w.report.queueDepth;
    inFlight += w.report.inFlight;
    capacity += w.report.capacity;
    for (const p of w.report.partitions) {
      const key = `${p.model}\u0000${p.version}\u0000${p.partitionId}`;
      const acc = parts.get(key) ?? {
        model: p.model,
        version: p.version,
        partitionId: p.partitionId,
        queue: 0,
        inFlight: 0,
        serviceSum: 0,
        n: 0,
      };
      acc.queue += p.queueDepth;
      acc.inFlight += p.inFlight;
      acc.serviceSum += p.ewmaServiceMs;
      acc.n += 1;
      parts.set(key, acc);
    }
  }
  const services = [...parts.values()].filter((p) => p.serviceSum > 0);
  const meanServiceMs =
    services.length === 0
      ? 0
      : services.reduce((s, p) => s + p.serviceSum / p.n, 0) / services.length;
  const pooled = {
    queueDepth,
    inFlight,
    capacity: Math.max(1, capacity),
    serviceTimeMs: meanServiceMs,
  };
  const partitions: PartitionSummary[] = [...parts.values()]
    .map((p) => {
      const ewmaServiceMs = p.serviceSum / p.n;
      return {
        model: p.model,
        version: p.version,
        partitionId: p.partitionId,
        expectedCloudMs: round3(expectedCloudMs(ewmaServiceMs, pooled)),
        queueDepth: p.queue,
        inFlight: p.inFlight,
        ewmaServiceMs: round3(ewmaServiceMs),
        workers: p.n,
      };
    })
    .sort(
      (a, b) =>
        cmp(a.model, b.model) || cmp(a.version, b.version) || cmp(a.partitionId, b.partitionId),
    );
  const cap = Math.max(1, capacity);
  return {
    schemaVersion: 1,
    monitorId: ctx.monitorId,
    updatedAtMs: now,
    ttlMs: ctx.ttlMs,
    loadLevel: round3(Math.max(1, inFlight / cap) + queueDepth / cap),
    utilisation: round3((queueDepth + inFlight) / cap),
    healthyWorkers: ready.length,
    queueDepth,
    inFlight,
    capacity,
    partitions,
    workers,
  };
}

/**
 * True when `next` differs from `prev` in anything a reader acts on: the set of workers, their
 * readiness or address, any queue depth or in-flight count, or an expected cloud time by more than
 * `relTolerance` (default 10 %). Timestamps alone are not a change.
 */
export function summaryChanged(
  prev: CloudSummary | undefined,
  next: CloudSummary,
  relTolerance = 0.1,
): boolean {
  if (prev === undefined) return true;
  if (
    prev.workers.length !== next.workers.length ||
    prev.partitions.length !== next.partitions.length
  )
    return true;
  for (let i = 0; i < next.workers.length; i++) {
    const a = prev.workers[i]!;
    const b = next.workers[i]!;
    if (
      a.id !== b.id ||
      a.address !== b.address ||
      a.ready !== b.ready ||
      a.queueDepth !== b.queueDepth ||
      a.inFlight !== b.inFlight ||
      a.capacity !== b.capacity
    ) {
      return true;
    }
  }
  for (let i = 0; i < next.partitions.length; i++) {
    const a = prev.partitions[i]!;
    const b = next.partitions[i]!;
    if (a.model !== b.model || a.version !== b.version || a.partitionId !== b.partitionId)
      return true;
    const scale = Math.max(Math.abs(a.expectedCloudMs), Math.abs(b.expectedCloudMs), 1e-9);
    if (Math.abs(a.expectedCloudMs - b.expectedCloudMs) / scale > relTolerance) return true;
  }
  return false;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
