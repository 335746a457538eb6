import { levelToPixelTable, pixelToLevelTable } from '../quantize.js';
import { tile, tiledSize, untile } from '../tiling.js';
import type { CodecContext, FeatureCodec } from './codec.js';
import { decodeGrayPngInto, encodeGrayPng } from './png.js';

let pixelScratch = new Uint8Array(1024);

function pixels(n: number): Uint8Array {
  if (pixelScratch.length < n) pixelScratch = new Uint8Array(Math.max(n, pixelScratch.length * 2));
  return pixelScratch;
}

/** Lossless baseline: the same tiled grayscale image as JPEG, as an 8-bit PNG (zlib level 9). */
export const pngCodec: FeatureCodec = {
  id: 2,
  name: 'png',
  lossy: false,
  usesQuality: false,
  tiled: true,
  supportsOmitTables: false,

  encode(levels: Uint8Array, ctx: CodecContext): Uint8Array {
    const { width, height } = tiledSize(ctx.shape);
    const img = tile(levels, ctx.shape, pixels(width * height), levelToPixelTable(ctx.bits));
    return encodeGrayPng(img.pixels, width, height);
  },

  decode(payload: Uint8Array, ctx: CodecContext, out: Uint8Array): void {
    const { width, height } = tiledSize(ctx.shape);
    const pix = pixels(width * height);
    decodeGrayPngInto(payload, width, height, pix);
    untile(pix, ctx.shape, out, pixelToLevelTable(ctx.bits));
  },
};
