import { CodecErrorType, codecError } from '../frame/frame-error.js';
import { abbreviatedHeader, scanBounds } from '../jpeg/abbreviated.js';
import { decodeJpegInto, encodeJpegScratch } from '../jpeg/jpeg-native.js';
import { levelToPixelTable, pixelToLevelTable } from '../quantize.js';
import { tile, tiledSize, untile } from '../tiling.js';
import type { CodecContext, FeatureCodec } from './codec.js';

let pixelScratch = new Uint8Array(1024);
let streamScratch = new Uint8Array(4096);

function pixels(n: number): Uint8Array {
  if (pixelScratch.length < n) pixelScratch = new Uint8Array(Math.max(n, pixelScratch.length * 2));
  return pixelScratch;
}

/**
 * JPEG (libjpeg-turbo, grayscale baseline, ISLOW, standard Huffman tables) of the tiled feature.
 * Levels map to pixels with `p = floor(q*255/levels + 0.5)`. With tables omitted the payload is the
 * scan only (docs/contracts-for-helpers.md).
 */
export const jpegCodec: FeatureCodec = {
  id: 1,
  name: 'jpeg',
  lossy: true,
  usesQuality: true,
  tiled: true,
  supportsOmitTables: true,

  encode(levels: Uint8Array, ctx: CodecContext): Uint8Array {
    const { width, height } = tiledSize(ctx.shape);
    const img = tile(levels, ctx.shape, pixels(width * height), levelToPixelTable(ctx.bits));
    const jpeg = encodeJpegScratch(img.pixels, width, height, 1, ctx.quality);
    if (!ctx.tablesOmitted) return jpeg;
    const scan = scanBounds(jpeg, jpeg.length);
    if (!scan) throw codecError(CodecErrorType.BadOptions, 'the JPEG encoder wrote an unexpected stream');
    return jpeg.subarray(scan.start, scan.end);
  },

  decode(payload: Uint8Array, ctx: CodecContext, out: Uint8Array): void {
    const { width, height } = tiledSize(ctx.shape);
    let stream = payload;
    let length = payload.length;
    if (ctx.tablesOmitted) {
      const header = abbreviatedHeader(ctx.quality, width, height);
      length = header.length + payload.length + 2;
      if (streamScratch.length < length) streamScratch = new Uint8Array(Math.max(length, streamScratch.length * 2));
      stream = streamScratch;
      stream.set(header, 0);
      stream.set(payload, header.length);
      stream[length - 2] = 0xff;
      stream[length - 1] = 0xd9;
    }
    const pix = pixels(width * height);
    decodeJpegInto(stream, length, pix, width, height, 1, width * height, CodecErrorType.CorruptPayload);
    untile(pix, ctx.shape, out, pixelToLevelTable(ctx.bits));
  },
};
