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
   * Stores (and returns) the serialised reply of `body` on view `viewKey`; undefined when it is not
   * cached. `json` must hold the top-level field `"generatedAtMs":0` (anywhere: the serialiser puts
   * optional fields such as `runnerUp` after the required ones), which `reply()` replaces with the time.
   */
  set(body: string, viewKey: number, json: string, stale: boolean): PlanCacheEntry | undefined {
    if (this.#maxEntries <= 0 || body.length > this.#maxKeyBytes) return undefined;
    // Inside a JSON string every quote is escaped, so an unescaped `"generatedAtMs":` is a key; the
    // top-level one is the last (no nested object of PlanReply has the field).
    const at = json.lastIndexOf(GENERATED_AT_ZERO);
    const end = at + GENERATED_AT_ZERO.length;
    if (at <= 0 || (json[end] !== ',' && json[end] !== '}')) return undefined;
    if (!this.#entries.delete(body) && this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    const entry = new PlanCacheEntry(viewKey, json.slice(0, end - 1), json.slice(end), stale);
    this.#entries.set(body, entry);
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }
}

const GENERATED_AT_ZERO = '"generatedAtMs":0';

export class PlanCacheEntry {
  constructor(
    readonly viewKey: number,
    /** The JSON up to the value of `generatedAtMs`. */
    readonly prefix: string,
    /** The JSON after it. */
    readonly suffix: string,
    readonly stale: boolean,
  ) {}

  /** The reply body with `generatedAtMs` = `nowMs`. */
  reply(nowMs: number): string {
    return `${this.prefix}${String(nowMs)}${this.suffix}`;
  }
}
