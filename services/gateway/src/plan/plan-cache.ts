/**
 * Serialised /v1/plan replies by request body, valid for one cloud-view version. Agents ping with the
 * same body until their uplink or load changes, and the view changes a few times a second, so most
 * pings repeat a plan already computed: a hit skips JSON parsing, schema validation, the planner and
 * serialisation. Bounded: at most `maxEntries` bodies of at most `maxKeyBytes` each; when full, the
 * oldest entry goes (insertion order). Only the reply's `generatedAtMs` is filled in per request.
 */
export class PlanCache {
  readonly #entries = new Map<string, PlanCacheEntry>();
  readonly #maxEntries: number;
  readonly #maxKeyBytes: number;
  hits = 0;
  misses = 0;

  constructor(options: { maxEntries: number; maxKeyBytes: number }) {
    this.#maxEntries = options.maxEntries;
    this.#maxKeyBytes = options.maxKeyBytes;
  }

  /** The entry for `body` computed on view `viewKey`, or undefined. */
  get(body: string, viewKey: number): PlanCacheEntry | undefined {
    const e = this.#entries.get(body);
    if (e !== undefined && e.viewKey === viewKey) {
      this.hits++;
      return e;
    }
    this.misses++;
    return undefined;
  }

  /**
   * Stores (and returns) the serialised reply of `body` on view `viewKey`; undefined when it is not cached. `json` must end with
   * `"generatedAtMs":0}` (the last field of PlanReply), which `reply()` replaces with the time.
   */
  set(body: string, viewKey: number, json: string, stale: boolean): PlanCacheEntry | undefined {
    if (
      this.#maxEntries <= 0 ||
      body.length > this.#maxKeyBytes ||
      !json.endsWith(GENERATED_AT_ZERO)
    )
      return undefined;
    if (!this.#entries.delete(body) && this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    const entry = new PlanCacheEntry(viewKey, json.slice(0, -2), stale);
    this.#entries.set(body, entry);
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }
}

const GENERATED_AT_ZERO = '"generatedAtMs":0}';

export class PlanCacheEntry {
  constructor(
    readonly viewKey: number,
    /** The JSON up to the value of `generatedAtMs`. */
    readonly prefix: string,
    readonly stale: boolean,
  ) {}

  /** The reply body with `generatedAtMs` = `nowMs`. */
  reply(nowMs: number): string {
    return `${this.prefix}${String(nowMs)}}`;
  }
}
