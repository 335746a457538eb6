/** One class and its softmax probability. */
export interface ClassScore {
  readonly classIndex: number;
  readonly label: string;
  readonly score: number;
}

/** Softmax over logits, best `k` first. */
export function topK(logits: Float32Array, labels: readonly string[], k: number): ClassScore[] {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  const p = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp(logits[i]! - max);
  const idx = Array.from(p.keys())
    .sort((a, b) => p[b]! - p[a]!)
    .slice(0, Math.max(1, k));
  return idx.map((i) => ({ classIndex: i, label: labels[i] ?? String(i), score: p[i]! / sum }));
}
