import { CodecErrorType, codecError } from '../frame/frame-error.js';
import { nativeIfBuilt } from '../internal/native.js';

/** The per-channel affine map of {@link PixelNormalizer}: `x = ((pixel / scale) - mean[c]) / std[c]`. */
export interface PixelNormalization {
  /** One value per channel. */
  readonly mean: readonly number[];
  /** One value per channel, each non-zero. */
  readonly std: readonly number[];
  /** @default 255 */
  readonly scale?: number;
}

/**
 * A model input's pixel normalisation as a table lookup: interleaved 8-bit pixels (row-major,
 * `channels` bytes per pixel, as the JPEG decoder gives them) -> planar float32 (CHW) written into a
 * caller-owned array. The 256 values of each channel are computed once, in float64 and rounded to
 * float32, with the formula of docs/contracts-for-helpers.md, so that any lookup through them is
 * bit-identical to computing each value the same way (model-repo's `normalizeInput` does). The pass
 * runs in the native addon when it is built (one sequential pass, no JavaScript per pixel), else in
 * an equivalent TypeScript loop.
 */
export class PixelNormalizer {
  readonly channels: number;
  /** 256 float32 values per channel, channel c at `[c * 256, c * 256 + 256)`. */
  readonly tables: Float32Array;

  constructor(spec: PixelNormalization) {
    const { mean, std } = spec;
    const scale = spec.scale ?? 255;
    const channels = mean.length;
    if (channels < 1 || channels > 4 || std.length !== channels) {
      throw codecError(
        CodecErrorType.BadOptions,
        `normalisation needs 1..4 channels with one mean and one std each, got ${mean.length} means and ${std.length} stds`,
      );
    }
    if (!(scale > 0) || !Number.isFinite(scale))
      throw codecError(CodecErrorType.BadOptions, `normalisation scale ${scale} must be > 0`);
    this.channels = channels;
    this.tables = new Float32Array(channels * 256);
    for (let c = 0; c < channels; c++) {
      const m = mean[c]!;
      const s = std[c]!;
      if (!Number.isFinite(m) || !Number.isFinite(s) || s === 0) {
        throw codecError(
          CodecErrorType.BadOptions,
          `normalisation of channel ${c}: mean ${m} and std ${s} must be finite, std non-zero`,
        );
      }
      for (let p = 0; p < 256; p++) this.tables[c * 256 + p] = (p / scale - m) / s;
    }
  }

  /**
   * Normalises `pixels` (`channels` interleaved bytes per pixel) into
   * `out[offset, offset + pixels.length)`, channel c's plane at `offset + c * plane`; returns `out`.
   * Throws `image_bad_input` when the byte count is not a whole number of pixels and
   * `codec_output_too_small` when `out` has no room.
   */
  toChw(pixels: Uint8Array, out: Float32Array, offset = 0): Float32Array {
    const ch = this.channels;
    if (!(pixels instanceof Uint8Array) || pixels.length % ch !== 0 || pixels.length === 0) {
      throw codecError(
        CodecErrorType.BadImage,
        `image of ${String((pixels as { length?: unknown }).length)} bytes is not a whole number of ${ch}-channel pixels`,
      );
    }
    if (
      !(out instanceof Float32Array) ||
      !Number.isInteger(offset) ||
      offset < 0 ||
      offset + pixels.length > out.length
    ) {
      throw codecError(
        CodecErrorType.OutputTooSmall,
        `cannot write ${pixels.length} values at offset ${offset} of a ${String((out as { length?: unknown }).length)}-value output`,
      );
    }
    const native = nativeIfBuilt();
    // an addon built before normalize.c existed has no `normalize`: the loop answers then
    if (
      native?.normalize !== undefined &&
      native.normalize(pixels, ch, this.tables, out, offset) === 0
    )
      return out;
    lookupToPlanes(pixels, ch, this.tables, out, offset);
    return out;
  }
}

/** The TypeScript twin of native/normalize.c (the fallback; the tests hold both to the same bits). */
export function lookupToPlanes(
  pixels: Uint8Array,
  channels: number,
  tables: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  const plane = pixels.length / channels;
  for (let c = 0; c < channels; c++) {
    const t = tables.subarray(c * 256, c * 256 + 256);
    const base = offset + c * plane;
    for (let i = 0, j = c; i < plane; i++, j += channels) out[base + i] = t[pixels[j]!]!;
  }
}
