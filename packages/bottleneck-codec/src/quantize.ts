import { CodecErrorType, codecError } from './frame/frame-error.js';
import { NATIVE_ERR_NONFINITE, nativeIfBuilt } from './internal/native.js';

const rangeOut = new Float64Array(2);

/** Result of {@link quantize}: n-bit levels (one per input value) and the float32 range they span. */
export interface Quantized {
  /** Levels in 0..2^bits-1, same order as the input. */
  q: Uint8Array;
  /** float32 minimum of the tensor. */
  min: number;
  /** float32 maximum of the tensor. */
  max: number;
}

/** Checks `bits` is an integer in 1..8 and returns `2^bits - 1`. */
export function levelsOf(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) {
    throw codecError(
      CodecErrorType.BadOptions,
      `bits must be an integer in 1..8, got ${String(bits)}`,
    );
  }
  return (1 << bits) - 1;
}

/**
 * float32 min and max of `data[offset, offset+length)`. Throws `codec_non_finite_input` when a value
 * is NaN or infinite.
 */
export function tensorRange(
  data: Float32Array,
  offset = 0,
  length = data.length - offset,
): { min: number; max: number } {
  if (length < 1) throw codecError(CodecErrorType.BadOptions, 'cannot quantize an empty tensor');
  let mn = Infinity;
  let mx = -Infinity;
  let poison = 0;
  const end = offset + length;
  for (let i = offset; i < end; i++) {
    const v = data[i]!;
    poison += v - v; // NaN for NaN and +-Infinity, 0 otherwise
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  if (poison !== 0 || Number.isNaN(poison)) {
    throw codecError(
      CodecErrorType.NonFiniteInput,
      'the tensor to encode holds NaN or an infinity',
    );
  }
  return { min: mn, max: mx };
}

/**
 * Eq. 1 of the paper, bit for bit as docs/contracts-for-helpers.md defines it:
 * `q = floor((f - min) * (levels / (max - min)) + 0.5)` in float64, clamped to `[0, levels]`;
 * a constant tensor (max == min) quantizes to all zeros.
 */
export function quantize(data: Float32Array, bits: number, out?: Uint8Array): Quantized {
  const levels = levelsOf(bits);
  const q = out ?? new Uint8Array(data.length);
  // The addon's loop (same IEEE operations, one call); anything it rejects takes the TypeScript
  // path below, which names what was wrong.
  const native = nativeIfBuilt();
  if (native) {
    const rc = native.quantize(data, bits, q, rangeOut);
    if (rc === 0) return { q, min: rangeOut[0]!, max: rangeOut[1]! };
    if (rc === NATIVE_ERR_NONFINITE) {
      throw codecError(
        CodecErrorType.NonFiniteInput,
        'the tensor to encode holds NaN or an infinity',
      );
    }
  }
  const { min, max } = tensorRange(data);
  if (q.length < data.length)
    throw codecError(CodecErrorType.BadOptions, 'quantize output buffer is too small');
  quantizeInto(data, 0, data.length, min, max, levels, q);
  return { q, min, max };
}

/** The quantizer's inner loop over `data[offset, offset+n)`, writing `out[0, n)`. */
export function quantizeInto(
  data: Float32Array,
  offset: number,
  n: number,
  min: number,
  max: number,
  levels: number,
  out: Uint8Array,
): void {
  if (!(max > min)) {
    out.fill(0, 0, n);
    return;
  }
  const scale = levels / (max - min);
  for (let i = 0; i < n; i++) {
    // (f - min) >= 0, so `| 0` is floor here (and much cheaper than Math.floor).
    let v = ((data[offset + i]! - min) * scale + 0.5) | 0;
    if (v > levels) v = levels;
    out[i] = v;
  }
}

/**
 * Inverse of {@link quantize}: `f' = min + q * ((max - min) / levels)` in float64, stored as float32;
 * a constant tensor dequantizes to `min`.
 */
export function dequantize(
  q: Uint8Array,
  bits: number,
  min: number,
  max: number,
  out?: Float32Array,
): Float32Array {
  const levels = levelsOf(bits);
  const f = out ?? new Float32Array(q.length);
  if (f.length < q.length)
    throw codecError(CodecErrorType.BadOptions, 'dequantize output buffer is too small');
  const native = nativeIfBuilt();
  if (native && native.dequantize(q, bits, min, max, f) === 0) return f;
  const step = max > min ? (max - min) / levels : 0;
  for (let i = 0; i < q.length; i++) f[i] = min + q[i]! * step;
  return f;
}

const pixelTables = new Map<number, Uint8Array>();
const levelTables = new Map<number, Uint8Array>();

/**
 * Level -> grayscale pixel for the image codecs: `p = floor(q * 255 / levels + 0.5)` (identity for
 * 8 bits). A 256-entry table indexed by q.
 */
export function levelToPixelTable(bits: number): Uint8Array {
  let t = pixelTables.get(bits);
  if (!t) {
    const levels = levelsOf(bits);
    t = new Uint8Array(256);
    for (let q = 0; q < 256; q++) t[q] = Math.floor((Math.min(q, levels) * 255) / levels + 0.5);
    pixelTables.set(bits, t);
  }
  return t;
}

/** Pixel -> level: `q = floor(p * levels / 255 + 0.5)`, clamped. A 256-entry table indexed by p. */
export function pixelToLevelTable(bits: number): Uint8Array {
  let t = levelTables.get(bits);
  if (!t) {
    const levels = levelsOf(bits);
    t = new Uint8Array(256);
    for (let p = 0; p < 256; p++) t[p] = Math.min(levels, Math.floor((p * levels) / 255 + 0.5));
    levelTables.set(bits, t);
  }
  return t;
}
