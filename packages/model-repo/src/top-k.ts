import { Code, MeshError } from '@bottlenet/errors';

/** One class of a top-k answer (the same shape as the protocol's `ClassScore`). */
export interface ClassScore {
  classIndex: number;
  label: string;
  /** Softmax probability, 0..1. */
  score: number;
}

export interface TopKOptions {
  /** Where this sample's logits start in `logits` (batched output: `sample * classes.length`). @default 0 */
  readonly offset?: number;
}

/**
 * The `k` most likely classes of one sample's logits, best first (ties: lower index first), scored by a
 * numerically stable softmax over all classes. `k` is capped at the number of classes; INVALID_ARGUMENT
 * for `k < 1` or logits shorter than `offset + classes.length`.
 */
export function topK(
  logits: ArrayLike<number>,
  classes: readonly string[],
  k: number,
  options: TopKOptions = {},
): ClassScore[] {
  const n = classes.length;
  const off = options.offset ?? 0;
  if (!Number.isInteger(k) || k < 1)
    throw new MeshError(Code.InvalidArgument, `top_k must be a positive integer, got ${k}`, {
      type: 'top_k_invalid',
    });
  if (off < 0 || logits.length < off + n) {
    throw new MeshError(
      Code.InvalidArgument,
      `logits have ${logits.length} values, need ${off + n} (offset ${off} + ${n} classes)`,
      { type: 'logits_short' },
    );
  }
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[off + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[off + i]! - max);
  const kk = Math.min(k, n);
  // Partial selection: keep the kk best indices in order (k is small).
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = logits[off + i]!;
    let j: number;
    if (best.length < kk) {
      best.push(i);
      j = best.length - 1;
    } else {
      if (v <= logits[off + best[kk - 1]!]!) continue;
      j = kk - 1;
      best[j] = i;
    }
    // Bubble up; strict < keeps the lower index first on ties.
    while (j > 0 && logits[off + best[j - 1]!]! < v) {
      best[j] = best[j - 1]!;
      best[j - 1] = i;
      j--;
    }
  }
  return best.map((i) => ({
    classIndex: i,
    label: classes[i]!,
    score: Math.exp(logits[off + i]! - max) / sum,
  }));
}
