import type { CloudSummary, WorkerSummary } from '@bottlenet/load-monitor';
import type { ReplyLoad } from './reply-load.js';
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
  /**
   * False once a summary arrived without this worker: it is then a *last known* worker, tried only when
   * no worker of the live view serves the partition, until `leftViewAtMs + lastKnownMs`.
   */
  inView: boolean;
  /** When the first summary without this worker arrived (ms); meaningful while `inView` is false. */
  leftViewAtMs: number;
}

export interface WorkerPoolOptions {
  /**
   * How long a worker that was ready in the previous views and is missing from the current one stays a
   * last resort (0: never). Covers a view that suddenly has no workers while they still serve: the
   * monitor's polls timing out on a loaded host, or a Redis restart before the workers re-registered.
   * @default 0
   */
  lastKnownMs?: number;
  /** The clock (tests). @default Date.now */
  now?: () => number;
}

/**
 * The routing table: one gRPC channel per worker of the view, and the least-loaded choice. A worker's
 * score is `(queueDepth + inFlight + outstanding) / capacity`, where queue and in-flight come from the
 * newest of the view and the load hints of replies, and `outstanding` is this gateway's own calls in
 * progress (so requests spread between view updates instead of piling onto one worker). Ties go round
 * robin.
 *
 * Workers that leave the view are kept for `lastKnownMs` as *last known* workers (their channel stays
 * open): `pick` falls back to them only when no worker of the live view serves the partition, so a view
 * that is momentarily empty (every poll timed out once, Redis restarted before the workers re-registered)
 * does not turn into 503s while the workers still answer. A worker the view lists as not ready is not a
 * fallback: that is fresh information, not missing information.
 */
export class WorkerPool {
  readonly #workers = new Map<string, WorkerEntry>();
  readonly #lastKnownMs: number;
  readonly #now: () => number;
  #rr = 0;

  constructor(options: WorkerPoolOptions = {}) {
    this.#lastKnownMs = options.lastKnownMs ?? 0;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Applies a new summary: adds and updates workers; a worker that left is kept as last known (when it
   * was ready and `lastKnownMs` > 0) or closed; last known workers whose window has passed are closed.
   */
  update(summary: CloudSummary): void {
    const now = this.#now();
    const seen = new Set<string>();
    for (const w of summary.workers) {
      // an address no connection can be made to (the monitor's view is trusted, but not blindly)
      if (GrpcUnaryChannel.parseAddress(w.address) === undefined) continue;
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
          inView: true,
          leftViewAtMs: 0,
        };
        this.#workers.set(w.id, e);
      } else {
        e.inView = true;
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
      if (seen.has(id)) continue;
      if (e.inView) {
        e.inView = false;
        e.leftViewAtMs = now;
      }
      if (!e.ready || now - e.leftViewAtMs >= this.#lastKnownMs) {
        e.client.close(); // calls in progress finish (GOAWAY), then the connection closes
        this.#workers.delete(id);
      }
    }
  }

  /** Takes the load a reply carried, when it is newer than what the pool has. */
  applyHint(entry: WorkerEntry, hint: ReplyLoad | undefined): void {
    if (hint === undefined || hint.timestampMs < entry.loadAtMs) return;
    entry.queueDepth = hint.queueDepth;
    entry.inFlight = hint.inFlight;
    if (hint.capacity > 0) entry.capacity = hint.capacity;
    entry.loadAtMs = hint.timestampMs;
  }

  /**
   * The least-loaded ready worker that serves `model` (any version when `version` is "") and
   * `partitionId` and is not in `exclude`; undefined when there is none. Suspect workers (recently
   * UNAVAILABLE) are chosen only when every other candidate is suspect too. Last known workers (not in
   * the current view, left it less than `lastKnownMs` ago) are chosen only when no worker of the view
   * qualifies; the caller sees it in `inView`.
   */
  pick(
    model: string,
    version: string,
    partitionId: string,
    exclude?: ReadonlySet<string>,
  ): WorkerEntry | undefined {
    const now = this.#now();
    let best: WorkerEntry | undefined;
    let bestScore = Infinity;
    let ties = 0;
    const offset = this.#rr++;
    for (const e of this.#workers.values()) {
      if (!e.ready || exclude?.has(e.id) || !serves(e, model, version, partitionId)) continue;
      let rank = 0;
      if (!e.inView) {
        if (now - e.leftViewAtMs >= this.#lastKnownMs) continue; // closed at the next update
        rank = 2e9; // behind every worker of the view, suspect or not
      }
      // A suspect worker scores behind every healthy one, and among suspects by load.
      if (e.suspectUntilMs > now) rank += 1e9;
      const score = rank + (e.queueDepth + e.inFlight + e.outstanding) / Math.max(1, e.capacity);
      if (score < bestScore) {
        best = e;
        bestScore = score;
        ties = 1;
      } else if (score === bestScore) {
        ties++;
        // Round robin among equals: the (offset mod ties)-th equal one wins.
        if (offset % ties === 0) best = e;
      }
    }
    return best;
  }

  /** True when some ready worker of the current view serves the partition of the model version. */
  serves(model: string, version: string, partitionId: string): boolean {
    for (const e of this.#workers.values())
      if (e.inView && e.ready && serves(e, model, version, partitionId)) return true;
    return false;
  }

  /** Last known workers still inside their window (for the metrics). */
  get lastKnown(): number {
    const now = this.#now();
    let n = 0;
    for (const e of this.#workers.values())
      if (!e.inView && now - e.leftViewAtMs < this.#lastKnownMs) n++;
    return n;
  }

  markSuspect(entry: WorkerEntry, forMs: number): void {
    entry.suspectUntilMs = this.#now() + forMs;
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
    if (
      m.name === model &&
      (version === '' || m.version === version) &&
      m.partitionIds.includes(partitionId)
    )
      return true;
  }
  return false;
}
