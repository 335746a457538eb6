export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Mean batch size of `batches` (batch size -> session runs). */
export function meanBatch(b: ReadonlyMap<number, number>): number {
  const runs = [...b.values()].reduce((s, n) => s + n, 0);
  const samples = [...b].reduce((s, [k, n]) => s + k * n, 0);
  return samples / runs;
}
