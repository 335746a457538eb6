/** Dequantizes `q` into `out[offset, offset + q.length)` (see quantize.ts for the formula). */
export function dequantizeInto(
  q: Uint8Array,
  bits: number,
  min: number,
  max: number,
  out: Float32Array,
  offset: number,
): void {
  const levels = (1 << bits) - 1;
  const step = max > min ? (max - min) / levels : 0;
  const n = q.length;
  for (let i = 0; i < n; i++) out[offset + i] = min + q[i]! * step;
}
