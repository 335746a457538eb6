import { CodecErrorType, codecError } from '../frame/frame-error.js';
import { decodeJpegOwned, encodeJpegOwned } from './jpeg-native.js';

/** A decoded image: row-major, `channels` interleaved bytes per pixel. */
export interface DecodedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** Options of {@link decodeJpegImage}. */
export interface DecodeJpegImageOptions {
  /** Output channels: 1 (gray) or 3 (RGB). @default 3 */
  channels?: 1 | 3;
  /** Largest accepted width*height. @default 16_777_216 (4096 x 4096) */
  maxPixels?: number;
}

/** Options of {@link encodeJpegImage}. */
export interface EncodeJpegImageOptions {
  /**
   * Optimised Huffman tables (lossless: the same pixels decode) and no JFIF APP0 segment: what
   * tjCompress2 writes with TJ_OPTIMIZE=1, minus its APP0. Any JPEG decoder reads it. @default false
   */
  compact?: boolean;
}

/**
 * A complete (full-header) baseline JPEG of an RGB or grayscale image, for the cloud-only path.
 * RGB uses 4:2:0 chroma subsampling; ISLOW DCT and standard tables as for features. The result is
 * the caller's; small ones are views into a shared pool (see src/internal/pool.ts: mind `byteOffset`).
 */
export function encodeJpegImage(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  quality: number,
  options: EncodeJpegImageOptions = {},
): Uint8Array {
  if (channels !== 1 && channels !== 3) {
    throw codecError(CodecErrorType.BadImage, `channels must be 1 or 3, got ${String(channels)}`);
  }
  checkSide('width', width);
  checkSide('height', height);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw codecError(
      CodecErrorType.BadOptions,
      `JPEG quality must be an integer in 1..100, got ${String(quality)}`,
    );
  }
  if (!(pixels instanceof Uint8Array) || pixels.length !== width * height * channels) {
    throw codecError(
      CodecErrorType.BadImage,
      `a ${width}x${height}x${channels} image needs ${width * height * channels} bytes, got ${pixels.length}`,
    );
  }
  return encodeJpegOwned(
    pixels,
    width,
    height,
    channels,
    quality,
    options.compact ? 'compact' : 'standard',
  );
}

function checkSide(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 65500) {
    throw codecError(
      CodecErrorType.BadImage,
      `${name} must be an integer in 1..65500, got ${String(v)}`,
    );
  }
}

/** Decodes any baseline or progressive JPEG to gray or RGB; bad bytes give `image_bad_input`. */
export function decodeJpegImage(
  bytes: Uint8Array,
  options: DecodeJpegImageOptions = {},
): DecodedImage {
  const channels = options.channels ?? 3;
  const maxPixels = options.maxPixels ?? 16_777_216;
  if (channels !== 1 && channels !== 3) {
    throw codecError(CodecErrorType.BadOptions, `channels must be 1 or 3, got ${String(channels)}`);
  }
  if (!(bytes instanceof Uint8Array) || bytes.length < 4) {
    throw codecError(CodecErrorType.BadImage, 'the image is not a JPEG (fewer than 4 bytes)');
  }
  const { pixels, width, height } = decodeJpegOwned(
    bytes,
    channels,
    maxPixels,
    CodecErrorType.BadImage,
  );
  return { pixels, width, height, channels };
}
