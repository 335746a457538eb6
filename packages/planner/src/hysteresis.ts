import { checkNumber } from './internal/check.js';
import { objectiveValue } from './predict.js';
import type { Selection } from './select.js';

export interface HysteresisOptions {
  /** Gain the challenger must predict over the current candidate, as a fraction of the current's value. @default 0.1 */
  minRelativeGain?: number;
  /** Gain it must predict in the objective's unit (ms or mJ), whichever of the two is larger. @default 0 */
  minAbsoluteGain?: number;
  /** Consecutive selections the same challenger must win before the switch. @default 2 */
  confirmations?: number;
  /** Least time between two switches, ms. @default 0 */
  minDwellMs?: number;
}

/** Why {@link Hysteresis.update} kept or changed the candidate. */
export type HysteresisReason =
  | 'initial' // no candidate yet: took the chosen one
  | 'kept' // the chosen one is the current one
  | 'small_gain' // a challenger wins, but by less than the required gain
  | 'pending' // a challenger wins by enough, not yet for `confirmations` selections in a row
  | 'dwell' // a confirmed challenger, but the last switch was less than `minDwellMs` ago
  | 'switched' // switched to the challenger
  | 'current_unavailable'; // the current candidate is no longer eligible: switched at once

export interface HysteresisDecision {
  /** The candidate to use for the next request. */
  readonly id: string;
  readonly switched: boolean;
  readonly reason: HysteresisReason;
  /** The chosen candidate's predicted gain over the current one (objective units; 0 when kept). */
  readonly gain: number;
}

/**
 * Keeps an agent on its current candidate until a challenger predicts a real gain for several
 * selections in a row, so that noise in the uplink or load estimates does not make it flap. Time is
 * passed in, so the class is deterministic.
 */
export class Hysteresis {
  readonly #minRelativeGain: number;
  readonly #minAbsoluteGain: number;
  readonly #confirmations: number;
  readonly #minDwellMs: number;
  #current: string | undefined;
  #lastSwitchMs = Number.NEGATIVE_INFINITY;
  #pending: { id: string; count: number } | undefined;

  constructor(options: HysteresisOptions = {}) {
    this.#minRelativeGain = checkNumber('minRelativeGain', options.minRelativeGain ?? 0.1);
    this.#minAbsoluteGain = checkNumber('minAbsoluteGain', options.minAbsoluteGain ?? 0);
    this.#confirmations = Math.max(
      1,
      Math.round(checkNumber('confirmations', options.confirmations ?? 2)),
    );
    this.#minDwellMs = checkNumber('minDwellMs', options.minDwellMs ?? 0);
  }

  /** The candidate in use, undefined before the first update. */
  get current(): string | undefined {
    return this.#current;
  }

  /** Feeds one selection made at `nowMs` and returns the candidate to use. */
  update(selection: Selection, nowMs: number): HysteresisDecision {
    const chosen = selection.chosen;
    if (this.#current === undefined) return this.#switch(chosen.id, nowMs, 'initial', 0);
    const current = selection.predictions.find((p) => p.id === this.#current);
    if (current === undefined) return this.#switch(chosen.id, nowMs, 'current_unavailable', 0);
    if (chosen.id === current.id) return this.#keep('kept', 0);
    const currentValue = objectiveValue(current, selection.objective);
    const gain = currentValue - objectiveValue(chosen, selection.objective);
    if (gain < Math.max(this.#minAbsoluteGain, this.#minRelativeGain * currentValue))
      return this.#keep('small_gain', gain);
    this.#pending =
      this.#pending?.id === chosen.id
        ? { id: chosen.id, count: this.#pending.count + 1 }
        : { id: chosen.id, count: 1 };
    if (this.#pending.count < this.#confirmations)
      return { id: current.id, switched: false, reason: 'pending', gain };
    if (nowMs - this.#lastSwitchMs < this.#minDwellMs)
      return { id: current.id, switched: false, reason: 'dwell', gain };
    return this.#switch(chosen.id, nowMs, 'switched', gain);
  }

  /** Forgets the current candidate; the next update takes the chosen one. */
  reset(): void {
    this.#current = undefined;
    this.#pending = undefined;
    this.#lastSwitchMs = Number.NEGATIVE_INFINITY;
  }

  #keep(reason: HysteresisReason, gain: number): HysteresisDecision {
    this.#pending = undefined;
    return { id: this.#current!, switched: false, reason, gain };
  }

  #switch(id: string, nowMs: number, reason: HysteresisReason, gain: number): HysteresisDecision {
    const switched = id !== this.#current;
    this.#current = id;
    this.#pending = undefined;
    if (switched) this.#lastSwitchMs = nowMs;
    return { id, switched, reason, gain };
  }
}
