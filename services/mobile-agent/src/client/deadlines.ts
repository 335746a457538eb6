import { EventEmitter } from 'node:events';
import { Code, MeshError } from '@bottlenet/errors';

/**
 * What a call's deadline hands to the code that waits: an `abort` event plus `aborted` / `reason`,
 * the EventEmitter form of a signal that undici's `request({signal})` accepts, and that the link
 * emulator's waits listen to. Cheaper to make than an `AbortController` + `AbortSignal` (an
 * EventTarget with its own listener map), which every call used to build.
 */
export interface DeadlineSignal extends EventEmitter {
  readonly aborted: boolean;
  readonly reason: unknown;
}

/** One call's deadline: `signal` fires `abort` when it passes; call `done()` when the call ends. */
export interface Deadline {
  readonly signal: DeadlineSignal;
  /** performance.now() at which the call is late. */
  readonly at: number;
  done(): void;
}

/** One pending call: its own signal; `done()` is a prototype method, so a call creates no closure. */
class Entry extends EventEmitter implements Deadline, DeadlineSignal {
  aborted = false;
  reason: unknown = undefined;

  constructor(
    private readonly owner: Set<Entry>,
    readonly at: number,
    readonly what: string,
    readonly ms: number,
  ) {
    super();
  }

  get signal(): DeadlineSignal {
    return this;
  }

  done(): void {
    this.owner.delete(this);
  }

  abort(reason: MeshError): void {
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

/**
 * Deadlines of in-flight calls on one shared timer instead of a timer per call: the timer is armed for
 * the earliest deadline; a call that ends only leaves the set (no clearTimeout), and a timer that fires
 * with nothing late just re-arms for the next deadline (or stays off). Calls in sequence with the same
 * budget therefore arm the timer about once per budget, not once per call. When a deadline passes, the
 * call's signal aborts with `MeshError(DeadlineExceeded, type "timeout")`.
 */
export class Deadlines {
  private readonly pending = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  start(ms: number, what: string): Deadline {
    const at = this.now() + ms;
    const e = new Entry(this.pending, at, what, ms);
    this.pending.add(e);
    if (at < this.armedAt) this.arm(at);
    return e;
  }

  /** Calls still waiting (for tests). */
  get size(): number {
    return this.pending.size;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    let next = Infinity;
    for (const e of this.pending) {
      if (e.at <= now + 0.5) {
        this.pending.delete(e);
        e.abort(
          new MeshError(Code.DeadlineExceeded, `${e.what} did not answer within ${e.ms} ms`, {
            type: 'timeout',
          }),
        );
      } else if (e.at < next) {
        next = e.at;
      }
    }
    if (next !== Infinity) this.arm(next);
  }
}
