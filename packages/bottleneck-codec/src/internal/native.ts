import { createRequire } from 'node:module';
import { CodecErrorType, codecError } from '../frame/frame-error.js';

/** The functions of native/jpeg.c (see there for the argument conventions). */
interface NativeJpeg {
  bufSize(width: number, height: number, channels: number): number;
  encode(
    pixels: Uint8Array,
    width: number,
    height: number,
    channels: number,
    quality: number,
    out: Uint8Array,
    mode?: number,
    outOffset?: number,
  ): number;
  info(jpeg: Uint8Array, length: number, out: Int32Array): number;
  decode(
    jpeg: Uint8Array,
    length: number,
    out: Uint8Array,
    width: number,
    height: number,
    channels: number,
    maxPixels: number,
    dims?: Int32Array,
    outOffset?: number,
  ): number;
  encodeFeature(
    data: Float32Array,
    c: number,
    h: number,
    w: number,
    bits: number,
    quality: number,
    out: Uint8Array,
    range: Float64Array,
    mode?: number,
  ): number;
  decodeFeature(
    jpeg: Uint8Array,
    length: number,
    c: number,
    h: number,
    w: number,
    bits: number,
    min: number,
    max: number,
    out: Float32Array,
    offset: number,
  ): number;
  quantize(data: Float32Array, bits: number, out: Uint8Array, range: Float64Array): number;
  dequantize(q: Uint8Array, bits: number, min: number, max: number, out: Float32Array): number;
  tile(
    values: Uint8Array,
    c: number,
    h: number,
    w: number,
    out: Uint8Array,
    map?: Uint8Array,
  ): number;
  untile(
    pixels: Uint8Array,
    c: number,
    h: number,
    w: number,
    out: Uint8Array,
    map?: Uint8Array,
  ): number;
  lastError(): string;
  /** native/jpeg-scan.c: range + quantize + tile + the tables-omitted JPEG payload (the scan only). */
  encodeFeatureScan?(
    data: Float32Array,
    c: number,
    h: number,
    w: number,
    bits: number,
    quality: number,
    out: Uint8Array,
    range: Float64Array,
  ): number;
  /** Output bytes encodeFeatureScan needs for a width x height tiled image. */
  scanBound?(width: number, height: number): number;
  /** native/normalize.c: interleaved bytes -> planar float32 through per-channel 256-entry tables. */
  normalize(
    pixels: Uint8Array,
    channels: number,
    tables: Float32Array,
    out: Float32Array,
    offset: number,
  ): number;
}

export const NATIVE_ERR_ARGS = -1;
export const NATIVE_ERR_SMALL = -2;
export const NATIVE_ERR_LIBJPEG = -3;
export const NATIVE_ERR_SHAPE = -4;
export const NATIVE_ERR_TOO_BIG = -5;
export const NATIVE_ERR_NONFINITE = -6;

/** JPEG stream kinds of the addon's `mode` argument. */
export const NATIVE_MODE_STANDARD = 0;
export const NATIVE_MODE_COMPACT = 1;

// src/internal/native.ts and dist/internal/native.js sit at the same depth below the package root.
// binding.gyp lives in native/ (not the package root) so that package managers never run their
// implicit `node-gyp rebuild` on install; scripts/build-native.mjs builds it.
const ADDON_PATH = '../../native/build/Release/bottleneck_codec.node';

let loaded: NativeJpeg | undefined;
let missing = false;

/**
 * The addon when it is built, else undefined (never throws): for the quantizer and tiling, which have
 * bit-identical TypeScript loops to fall back on.
 */
export function nativeIfBuilt(): NativeJpeg | undefined {
  if (loaded || missing) return loaded;
  try {
    return nativeJpeg();
  } catch {
    missing = true;
    return undefined;
  }
}

/** The libturbojpeg addon, loaded on first use (so that importing the package never fails). */
export function nativeJpeg(): NativeJpeg {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as NativeJpeg;
  } catch (cause) {
    throw codecError(
      CodecErrorType.NativeMissing,
      'the JPEG addon is not built: run `pnpm run build` at the repository root ' +
        '(or `pnpm run build:native` in packages/bottleneck-codec); it needs libturbojpeg0-dev and build-essential',
      { cause, type: 'codec_native_missing' },
    );
  }
  return loaded;
}
