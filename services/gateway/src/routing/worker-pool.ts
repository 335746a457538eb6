import type { CloudSummary, WorkerSummary } from '@bottlenet/load-monitor';
import type { LoadHint } from '@bottlenet/protocol';
import { GrpcUnaryChannel } from './grpc-unary-channel.js';

/** A worker the gateway can route to: the view's numbers, fresher hints from replies, and local state. */
export interface WorkerEntry {
  readonly id: string;
  readonly address: string;
  /** One HTTP/2 connection to the worker's InferenceService, reused by every call. */
  readonly client: GrpcUnaryChannel;
  ready: boolean;
  queueDepth: number;
  inFlight: number;
  capacity: number;
  /** When `queueDepth`/`inFlight` were measured (worker or monitor clock), ms. */
  loadAtMs: number;
  models: WorkerSummary['models'];
  /** Calls this gateway has in progress to the worker. */
  outstanding: number;
  /** Skipped until this time after it answered UNAVAILABLE or could not be reached. */
  suspectUntilMs: number;
}

/**
 * The routing table: one gRPC channel per worker of the view, and the least-loaded choice. A worker's
 * score is `(queueDepth + inFlight + outstanding) / capacity`, where queue and in-flight come from the
 * newest of the view and the load hints of replies, and `outstanding` is this gateway's own calls in
 * progress (so requests spread between view updates instead of piling onto one worker). Ties go round
 * robin.
 */
export class WorkerPool {
  readonly #workers = new Map<string, WorkerEntry>();
  #rr = 0;

  /** Applies a new summary: adds and updates workers, closes the channels of workers that left. */
  update(summary: CloudSummary): void {
    const seen = new Set<string>();
    for (const w of summary.workers) {
      seen.add(w.id);
      let e = this.#workers.get(w.id);
      if (e !== undefined && e.address !== w.address) {
        e.client.close();
        this.#workers.delete(w.id);
        e = undefined;
      }
      if (e === undefined) {
        e = {
          id: w.id,
          address: w.address,
          client: new GrpcUnaryChannel(w.address, `worker ${w.id}`),
          ready: w.ready,
          queueDepth: w.queueDepth,
          inFlight: w.inFlight,
          capacity: w.capacity,
          loadAtMs: w.polledAtMs,
          models: w.models,
          outstanding: 0,
          suspectUntilMs: 0,
        };
        this.#workers.set(w.id, e);
      } else {
        e.ready = w.ready;
        e.capacity = w.capacity;
        e.models = w.models;
        if (w.polledAtMs >= e.loadAtMs) {
          e.queueDepth = w.queueDepth;
          e.inFlight = w.inFlight;
          e.loadAtMs = w.polledAtMs;
        }
      }
    }
    for (const [id, e] of this.#workers) {
      if (!seen.has(id)) {
        e.client.close(); // calls in progress finish (GOAWAY), then the connection closes
        this.#workers.delete(id);
      }
    }
  }

  /** Takes the load a reply carried, when it is newer than what the pool has. */
  applyHint(entry: WorkerEntry, hint: LoadHint | undefined): void {
    if (hint === undefined || hint.timestampMs < entry.loadAtMs) return;
    entry.queueDepth = hint.queueDepth;
    entry.inFlight = hint.inFlight;
    if (hint.capacity > 0) entry.capacity = hint.capacity;
    entry.loadAtMs = hint.timestampMs;
  }

  /**
   * The least-loaded ready worker that serves `model` (any version when `version` is "") and
   * `partitionId` and is not in `exclude`; undefined when there is none. Suspect workers (recently
   * UNAVAILABLE) are chosen only when every other candidate is suspect too.
   */
  pick(model: string, version: string, partitionId: string, exclude?: ReadonlySet<string>): WorkerEntry | undefined {
    const now = Date.now();
    let best: WorkerEntry | undefined;
    let bestScore = Infinity;
    let ties = 0;
    const offset = this.#rr++;
    for (const e of this.#workers.values()) {
      if (!e.ready || exclude?.has(e.id) || !serves(e, model, version, partitionId)) continue;
      // A suspect worker scores behind every healthy one, and among suspects by load.
      const suspect = e.suspectUntilMs > now ? 1e9 : 0;
      const score = suspect + (e.queueDepth + e.inFlight + e.outstanding) / Math.max(1, e.capacity);
      if (score < bestScore) {
        best = e;
        bestScore = score;
        ties = 1;
      } else if (score === bestScore) {
        ties++;
        // Round robin among equals: the (offset mod ties)-th equal one wins.
        if ((offset % ties) === 0) best = e;
      }
    }
    return best;
  }

  /** True when some ready worker serves the partition of the model version. */
  serves(model: string, version: string, partitionId: string): boolean {
    for (const e of this.#workers.values()) if (e.ready && serves(e, model, version, partitionId)) return true;
    return false;
  }

  markSuspect(entry: WorkerEntry, forMs: number): void {
    entry.suspectUntilMs = Date.now() + forMs;
  }

  get size(): number {
    return this.#workers.size;
  }

  close(): void {
    for (const e of this.#workers.values()) e.client.close();
    this.#workers.clear();
  }
}

function serves(e: WorkerEntry, model: string, version: string, partitionId: string): boolean {
  for (const m of e.models) {
    if (m.name === model && (version === '' || m.version === version) && m.partitionIds.includes(partitionId)) return true;
  }
  return false;
}
