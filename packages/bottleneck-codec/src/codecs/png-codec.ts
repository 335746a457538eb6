import type { CodecContext, ImageCodec } from './codec.js';
import { decodeGrayPngInto, encodeGrayPng } from './png.js';

/** Lossless baseline: the same tiled grayscale image as JPEG, as an 8-bit PNG (zlib level 9). */
export const pngCodec: ImageCodec = {
  kind: 'image',
  id: 2,
  name: 'png',
  lossy: false,
  usesQuality: false,
  supportsOmitTables: false,

  encodeImage(pixels: Uint8Array, width: number, height: number, _ctx: CodecContext): Uint8Array {
    return encodeGrayPng(pixels, width, height);
  },

  decodeImage(
    payload: Uint8Array,
    width: number,
    height: number,
    _ctx: CodecContext,
    out: Uint8Array,
  ): void {
    decodeGrayPngInto(payload, width, height, out);
  },
};
