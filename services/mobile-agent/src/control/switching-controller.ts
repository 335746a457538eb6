/** One candidate's predicted cost, as the planner scores it. */
export interface Scored {
  readonly id: string;
  readonly latencyMs: number;
  readonly energyMj: number;
}

/** What one planning round decided and why, for logs, the API and the demo's live view. */
export interface Decision {
  readonly at: number;
  readonly reason: string;
  readonly best: string;
  readonly current: string;
  /** Relative gain of `best` over `current` under the objective (0..1; 1 when current is ineligible). */
  readonly gain: number;
  /** The candidate that will serve from the next request on. */
  readonly next: string;
  readonly why: string;
}

export interface SwitchingOptions {
  readonly objective: 'latency' | 'energy';
  /** Least relative gain that justifies a switch. */
  readonly minGain: number;
  /** Least time between two switches, ms. */
  readonly minHoldMs: number;
  readonly initial: string;
  readonly now?: () => number;
}

/**
 * Decides which candidate serves the next request. A planning round proposes the planner's best;
 * the controller adopts it only if it beats the current candidate by `minGain` (relative) and the
 * current one has held for `minHoldMs` - or at once when the current one is no longer eligible
 * (e.g. the cloud is gone). The switch takes effect at the next `acquire()`, i.e. between requests:
 * a request in flight always finishes on the candidate it started with.
 */
export class SwitchingController {
  private current: string;
  private pending: string | undefined;
  private lastSwitchAt: number;
  private switches = 0;
  private last: Decision | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: SwitchingOptions) {
    this.current = opts.initial;
    this.now = opts.now ?? (() => performance.now());
    this.lastSwitchAt = -Infinity;
  }

  /** The candidate that serves the next request; applies a pending switch first. */
  acquire(): string {
    if (this.pending !== undefined) {
      if (this.pending !== this.current) {
        this.current = this.pending;
        this.lastSwitchAt = this.now();
        this.switches++;
      }
      this.pending = undefined;
    }
    return this.current;
  }

  /** Considers the planner's ranking (best first) of the eligible candidates. */
  propose(ranked: readonly Scored[], reason: string): Decision {
    const t = this.now();
    const best = ranked[0];
    const current = this.pending ?? this.current;
    let decision: Decision;
    if (best === undefined) {
      decision = {
        at: t,
        reason,
        best: current,
        current,
        gain: 0,
        next: current,
        why: 'no eligible candidate; keeping the current one',
      };
    } else if (best.id === current) {
      decision = {
        at: t,
        reason,
        best: best.id,
        current,
        gain: 0,
        next: current,
        why: 'current candidate is still the best',
      };
    } else {
      const cur = ranked.find((s) => s.id === current);
      const value = (s: Scored): number =>
        this.opts.objective === 'latency' ? s.latencyMs : s.energyMj;
      const gain =
        cur === undefined ? 1 : value(cur) > 0 ? (value(cur) - value(best)) / value(cur) : 0;
      const held = t - this.lastSwitchAt;
      let why: string;
      let next = current;
      if (cur === undefined) {
        why = `current ${current} is no longer eligible`;
        next = best.id;
      } else if (gain < this.opts.minGain) {
        why = `gain ${(gain * 100).toFixed(1)}% is below the ${(this.opts.minGain * 100).toFixed(0)}% hysteresis`;
      } else if (held < this.opts.minHoldMs) {
        why = `held only ${held.toFixed(0)} ms of ${this.opts.minHoldMs} ms`;
      } else {
        why = `${best.id} is ${(gain * 100).toFixed(1)}% better on ${this.opts.objective}`;
        next = best.id;
      }
      decision = { at: t, reason, best: best.id, current, gain, next, why };
    }
    this.pending = decision.next === this.current ? undefined : decision.next;
    this.last = decision;
    return decision;
  }

  get currentCandidate(): string {
    return this.current;
  }

  get pendingCandidate(): string | undefined {
    return this.pending;
  }

  get switchCount(): number {
    return this.switches;
  }

  get lastDecision(): Decision | undefined {
    return this.last;
  }
}
