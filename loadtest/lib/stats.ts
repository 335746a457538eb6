/** Percentile by nearest rank (p in 0..100) of unsorted numbers; NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1]!;
}

/** How far a candidate is toward the device: cloud-only 0, a partition its block index, mobile-only last. */
export function deviceOrder(candidate: string, blocks: ReadonlyMap<string, number>): number {
  if (candidate === 'cloud') return 0;
  if (candidate === 'mobile') return 1000;
  return blocks.get(candidate) ?? Number.NaN;
}

/** Counts of each value. */
export function tally(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

export const round = (x: number, digits = 2): number =>
  Number.isFinite(x) ? Number(x.toFixed(digits)) : x;
