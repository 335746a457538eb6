import type { Candidate } from './candidate.js';

/** A pair of candidates where the deeper one leaves more work in the cloud or sends more bytes. */
export interface MonotonicityViolation {
  readonly field: 'cloudMs' | 'bytes';
  /** The candidate nearer the cloud. */
  readonly shallower: string;
  /** The candidate nearer the device that has the larger value. */
  readonly deeper: string;
}

/**
 * The planner's two monotonicity guarantees (more cloud load never moves the choice toward the
 * cloud; more bandwidth never moves it toward the device) hold for candidate sets where a deeper
 * candidate never has a longer cloud time or more bytes than a shallower one. This lists the pairs
 * that break that shape, so that an agent can log them; selection works either way, it just follows
 * the physics (e.g. a split that sends more than a shallower one gains more from extra bandwidth).
 */
export function monotonicityViolations(candidates: readonly Candidate[]): MonotonicityViolation[] {
  const sorted = [...candidates].sort((a, b) => a.order - b.order);
  const out: MonotonicityViolation[] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      if (b.order === a.order) continue;
      if (b.cloudMs > a.cloudMs) out.push({ field: 'cloudMs', shallower: a.id, deeper: b.id });
      if (b.bytes > a.bytes) out.push({ field: 'bytes', shallower: a.id, deeper: b.id });
    }
  }
  return out;
}
