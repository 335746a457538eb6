import {
  CodecErrorType,
  codecError,
  type CodecErrorType as ErrorType,
} from '../frame/frame-error.js';
import {
  NATIVE_ERR_ARGS,
  NATIVE_ERR_LIBJPEG,
  NATIVE_ERR_NONFINITE,
  NATIVE_ERR_SHAPE,
  NATIVE_ERR_SMALL,
  NATIVE_ERR_TOO_BIG,
  NATIVE_MODE_COMPACT,
  NATIVE_MODE_STANDARD,
  nativeJpeg,
} from '../internal/native.js';
import { ownedCopy, pool, poolCommit, poolReserve, poolUsed } from '../internal/pool.js';
import { tiledSize, type FeatureShape } from '../tiling.js';

/**
 * Synchronous JPEG calls through the libturbojpeg addon with reused scratch buffers: one
 * compressor/decompressor handle per thread, no allocation per call once the buffers have grown.
 */

let encodeScratch = new Uint8Array(4096);

/**
 * Which complete JPEG stream the encoder writes. `standard`: what tjCompress2 writes (JFIF APP0,
 * standard Huffman tables); `compact`: optimised Huffman tables (libjpeg `optimize_coding`, lossless)
 * and no APP0 segment, i.e. tjCompress2 with TJ_OPTIMIZE=1 minus its APP0.
 */
export type JpegStreamKind = 'standard' | 'compact';

const modeOf = (kind: JpegStreamKind) =>
  kind === 'compact' ? NATIVE_MODE_COMPACT : NATIVE_MODE_STANDARD;

/** Grows the encode scratch to the worst-case size of a `width x height` image (after ERR_SMALL). */
function growEncodeScratch(width: number, height: number, channels: number): void {
  const need = nativeJpeg().bufSize(width, height, channels);
  if (need < 0)
    throw codecError(CodecErrorType.BadOptions, `cannot encode a ${width}x${height} JPEG`);
  if (encodeScratch.length < need)
    encodeScratch = new Uint8Array(Math.max(need, encodeScratch.length * 2));
}

/**
 * Encodes `pixels` (row-major, 1 or 3 interleaved channels) as a baseline JPEG and returns a view
 * of an internal buffer that stays valid until the next encode call on this thread. One native call
 * once the scratch buffer has grown to the image's worst case.
 */
export function encodeJpegScratch(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  quality: number,
  kind: JpegStreamKind = 'standard',
): Uint8Array {
  const native = nativeJpeg();
  const mode = modeOf(kind);
  let n = native.encode(pixels, width, height, channels, quality, encodeScratch, mode);
  if (n === NATIVE_ERR_SMALL) {
    growEncodeScratch(width, height, channels);
    n = native.encode(pixels, width, height, channels, quality, encodeScratch, mode);
  }
  if (n < 0) throw nativeError(n, CodecErrorType.BadOptions, 'jpeg encode');
  return encodeScratch.subarray(0, n);
}

/**
 * Decodes `jpeg[0, length)` into `out` (width*height*channels bytes). With width and height > 0 the
 * image must have exactly that size, otherwise it may be any size up to `maxPixels`.
 */
export function decodeJpegInto(
  jpeg: Uint8Array,
  length: number,
  out: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  maxPixels: number,
  errorType: ErrorType,
): void {
  const rc = nativeJpeg().decode(jpeg, length, out, width, height, channels, maxPixels);
  if (rc < 0) throw nativeError(rc, errorType, 'jpeg decode');
}

const rangeScratch = new Float64Array(2);

/**
 * Range + quantize + tile + JPEG encode of a float32 feature in one native call (the per-element work
 * runs in C). Returns the complete JPEG as a view of the scratch buffer, and the float32 range.
 */
export function encodeFeatureJpegScratch(
  data: Float32Array,
  shape: FeatureShape,
  bits: number,
  quality: number,
  kind: JpegStreamKind = 'standard',
): { jpeg: Uint8Array; min: number; max: number } {
  const native = nativeJpeg();
  const mode = modeOf(kind);
  let n = NATIVE_ERR_SMALL;
  // at most twice: the second time after growing the scratch buffer the first call found too small
  for (let attempt = 0; attempt < 2 && n === NATIVE_ERR_SMALL; attempt++) {
    if (attempt > 0) {
      const { width, height } = tiledSize(shape);
      growEncodeScratch(width, height, 1);
    }
    n = native.encodeFeature(
      data,
      shape[0],
      shape[1],
      shape[2],
      bits,
      quality,
      encodeScratch,
      rangeScratch,
      mode,
    );
  }
  if (n < 0) throw nativeError(n, CodecErrorType.BadOptions, 'jpeg encode');
  return { jpeg: encodeScratch.subarray(0, n), min: rangeScratch[0]!, max: rangeScratch[1]! };
}

let scanScratch = new Uint8Array(4096);

/**
 * The tables-omitted payload of a float32 feature (the scan of the standard stream, without its
 * headers) in one native call that does not go through libjpeg (native/jpeg-scan.c: byte-identical,
 * tested against the libjpeg path): a view of a scratch buffer valid until the next call, or undefined
 * when the addon predates it (the caller takes the libjpeg path). The range is in `range`.
 */
export function encodeFeatureScanScratch(
  data: Float32Array,
  shape: FeatureShape,
  bits: number,
  quality: number,
  range: Float64Array,
): Uint8Array | undefined {
  const native = nativeJpeg();
  if (native.encodeFeatureScan === undefined || native.scanBound === undefined) return undefined;
  let n = NATIVE_ERR_SMALL;
  // at most twice, as in encodeFeatureJpegScratch: the second time into a scratch of the worst-case size
  for (let attempt = 0; attempt < 2 && n === NATIVE_ERR_SMALL; attempt++) {
    if (attempt > 0) {
      const { width, height } = tiledSize(shape);
      scanScratch = new Uint8Array(
        Math.max(native.scanBound(width, height), scanScratch.length * 2),
      );
    }
    n = native.encodeFeatureScan(
      data,
      shape[0],
      shape[1],
      shape[2],
      bits,
      quality,
      scanScratch,
      range,
    );
  }
  if (n < 0) throw nativeError(n, CodecErrorType.BadOptions, 'jpeg encode');
  return scanScratch.subarray(0, n);
}

/**
 * JPEG decode + untile + dequantize into `out[offset, offset + c*h*w)` in one native call (the JPEG
 * headers are read once, and must give the tiled size of `shape`).
 */
export function decodeFeatureJpegInto(
  jpeg: Uint8Array,
  length: number,
  shape: FeatureShape,
  bits: number,
  min: number,
  max: number,
  out: Float32Array,
  offset: number,
): void {
  const rc = nativeJpeg().decodeFeature(
    jpeg,
    length,
    shape[0],
    shape[1],
    shape[2],
    bits,
    min,
    max,
    out,
    offset,
  );
  if (rc < 0) throw nativeError(rc, CodecErrorType.CorruptPayload, 'jpeg decode');
}

const infoScratch = new Int32Array(3);
const dimsScratch = new Int32Array(2);

/**
 * Encodes a complete JPEG into a caller-owned array: straight into the result pool (one native call)
 * when the image's worst case fits there, else via the scratch buffer and a copy.
 */
export function encodeJpegOwned(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  quality: number,
  kind: JpegStreamKind,
): Uint8Array {
  const native = nativeJpeg();
  const mode = modeOf(kind);
  let n = native.encode(pixels, width, height, channels, quality, pool, mode, poolUsed);
  if (n === NATIVE_ERR_SMALL) {
    const need = native.bufSize(width, height, channels);
    if (need < 0)
      throw codecError(CodecErrorType.BadOptions, `cannot encode a ${width}x${height} JPEG`);
    if (!poolReserve(need)) {
      const jpeg = encodeJpegScratch(pixels, width, height, channels, quality, kind);
      return ownedCopy(jpeg, 0, jpeg.length);
    }
    n = native.encode(pixels, width, height, channels, quality, pool, mode, poolUsed);
  }
  if (n < 0) throw nativeError(n, CodecErrorType.BadOptions, 'jpeg encode');
  return poolCommit(n);
}

/**
 * Decodes a JPEG of any size up to `maxPixels` into a caller-owned array, reading its headers once:
 * straight into the result pool when it fits, else (after the first call reported the size) into an
 * array of exactly the image's size.
 */
export function decodeJpegOwned(
  jpeg: Uint8Array,
  channels: 1 | 3,
  maxPixels: number,
  errorType: ErrorType,
): { pixels: Uint8Array; width: number; height: number } {
  const native = nativeJpeg();
  let rc = native.decode(jpeg, jpeg.length, pool, 0, 0, channels, maxPixels, dimsScratch, poolUsed);
  const width = dimsScratch[0]!;
  const height = dimsScratch[1]!;
  const n = width * height * channels;
  if (rc === NATIVE_ERR_SMALL) {
    if (!poolReserve(n)) {
      const pixels = new Uint8Array(n);
      rc = native.decode(jpeg, jpeg.length, pixels, width, height, channels, maxPixels);
      if (rc < 0) throw nativeError(rc, errorType, 'jpeg decode');
      return { pixels, width, height };
    }
    rc = native.decode(
      jpeg,
      jpeg.length,
      pool,
      width,
      height,
      channels,
      maxPixels,
      undefined,
      poolUsed,
    );
  }
  if (rc < 0) throw nativeError(rc, errorType, 'jpeg decode');
  return { pixels: poolCommit(n), width, height };
}

/** Width and height from a JPEG's headers, without decoding it. */
export function jpegSize(
  jpeg: Uint8Array,
  errorType: ErrorType,
): { width: number; height: number } {
  const rc = nativeJpeg().info(jpeg, jpeg.length, infoScratch);
  if (rc < 0) throw nativeError(rc, errorType, 'jpeg header');
  return { width: infoScratch[0]!, height: infoScratch[1]! };
}

function nativeError(rc: number, errorType: ErrorType, what: string) {
  switch (rc) {
    case NATIVE_ERR_LIBJPEG:
      return codecError(errorType, `${what} failed: ${nativeJpeg().lastError()}`);
    case NATIVE_ERR_SHAPE:
      return codecError(errorType, `${what}: ${nativeJpeg().lastError()}`);
    case NATIVE_ERR_TOO_BIG:
      return codecError(CodecErrorType.Oversized, `${what}: ${nativeJpeg().lastError()}`);
    case NATIVE_ERR_NONFINITE:
      return codecError(
        CodecErrorType.NonFiniteInput,
        'the tensor to encode holds NaN or an infinity',
      );
    case NATIVE_ERR_SMALL:
      return codecError(errorType, `${what}: output buffer too small`);
    case NATIVE_ERR_ARGS:
    default:
      return codecError(errorType, `${what}: invalid arguments (${rc})`);
  }
}
