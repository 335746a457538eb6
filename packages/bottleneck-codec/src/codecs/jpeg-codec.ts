import { CodecErrorType, codecError } from '../frame/frame-error.js';
import { abbreviatedHeader, scanBounds } from '../jpeg/abbreviated.js';
import {
  decodeFeatureJpegInto,
  decodeJpegInto,
  encodeFeatureJpegScratch,
  encodeJpegScratch,
} from '../jpeg/jpeg-native.js';
import { tiledSize as tiledSizeOf, type FeatureShape } from '../tiling.js';
import type { CodecContext, ImageCodec } from './codec.js';

let streamScratch = new Uint8Array(4096);

/**
 * JPEG (libjpeg-turbo, grayscale baseline, ISLOW, standard Huffman tables) of the tiled feature.
 * With tables omitted the payload is the scan only (docs/contracts-for-helpers.md); the decoder
 * rebuilds the headers from quality and size. Compact: a complete JPEG with optimised Huffman tables
 * and no APP0 (decoded like any complete JPEG).
 */
export const jpegCodec: ImageCodec = {
  kind: 'image',
  id: 1,
  name: 'jpeg',
  lossy: true,
  usesQuality: true,
  supportsOmitTables: true,

  encodeImage(pixels: Uint8Array, width: number, height: number, ctx: CodecContext): Uint8Array {
    const kind = ctx.compact ? 'compact' : 'standard';
    return payloadOf(
      encodeJpegScratch(pixels, width, height, 1, ctx.quality, kind),
      ctx.tablesOmitted,
    );
  },

  decodeImage(
    payload: Uint8Array,
    width: number,
    height: number,
    ctx: CodecContext,
    out: Uint8Array,
  ): void {
    const { stream, length } = streamOf(payload, width, height, ctx);
    decodeJpegInto(
      stream,
      length,
      out,
      width,
      height,
      1,
      width * height,
      CodecErrorType.CorruptPayload,
    );
  },
};

function payloadOf(jpeg: Uint8Array, tablesOmitted: boolean): Uint8Array {
  if (!tablesOmitted) return jpeg;
  const scan = scanBounds(jpeg, jpeg.length);
  if (!scan)
    throw codecError(CodecErrorType.BadOptions, 'the JPEG encoder wrote an unexpected stream');
  return jpeg.subarray(scan.start, scan.end);
}

function streamOf(payload: Uint8Array, width: number, height: number, ctx: CodecContext) {
  if (!ctx.tablesOmitted) return { stream: payload, length: payload.length };
  const header = abbreviatedHeader(ctx.quality, width, height);
  const length = header.length + payload.length + 2;
  if (streamScratch.length < length)
    streamScratch = new Uint8Array(Math.max(length, streamScratch.length * 2));
  streamScratch.set(header, 0);
  streamScratch.set(payload, header.length);
  streamScratch[length - 2] = 0xff;
  streamScratch[length - 1] = 0xd9;
  return { stream: streamScratch, length };
}

/**
 * The fast path the frame code uses for JPEG: range, quantize, tile and encode in one native call.
 * Gives the same bytes as quantizeToTiles + encodeImage (checked by the shared vectors).
 */
export function encodeJpegFeature(
  data: Float32Array,
  ctx: CodecContext,
): { payload: Uint8Array; min: number; max: number } {
  const kind = ctx.compact ? 'compact' : 'standard';
  const { jpeg, min, max } = encodeFeatureJpegScratch(data, ctx.shape, ctx.bits, ctx.quality, kind);
  return { payload: payloadOf(jpeg, ctx.tablesOmitted), min, max };
}

/** Decode, untile and dequantize a JPEG payload into `out[offset, ...)` in one native call. */
export function decodeJpegFeatureInto(
  payload: Uint8Array,
  ctx: CodecContext & { shape: FeatureShape },
  min: number,
  max: number,
  out: Float32Array,
  offset: number,
): void {
  const { width, height } = tiledSizeOf(ctx.shape);
  const { stream, length } = streamOf(payload, width, height, ctx);
  decodeFeatureJpegInto(stream, length, ctx.shape, ctx.bits, min, max, out, offset);
}
