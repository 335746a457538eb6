import { CodecErrorType, codecError } from '../frame/frame-error.js';
import { abbreviatedHeader, scanBounds } from '../jpeg/abbreviated.js';
import { decodeJpegInto, encodeJpegScratch } from '../jpeg/jpeg-native.js';
import type { CodecContext, ImageCodec } from './codec.js';

let streamScratch = new Uint8Array(4096);

/**
 * JPEG (libjpeg-turbo, grayscale baseline, ISLOW, standard Huffman tables) of the tiled feature.
 * With tables omitted the payload is the scan only (docs/contracts-for-helpers.md); the decoder
 * rebuilds the headers from quality and size.
 */
export const jpegCodec: ImageCodec = {
  kind: 'image',
  id: 1,
  name: 'jpeg',
  lossy: true,
  usesQuality: true,
  supportsOmitTables: true,

  encodeImage(pixels: Uint8Array, width: number, height: number, ctx: CodecContext): Uint8Array {
    const jpeg = encodeJpegScratch(pixels, width, height, 1, ctx.quality);
    if (!ctx.tablesOmitted) return jpeg;
    const scan = scanBounds(jpeg, jpeg.length);
    if (!scan) throw codecError(CodecErrorType.BadOptions, 'the JPEG encoder wrote an unexpected stream');
    return jpeg.subarray(scan.start, scan.end);
  },

  decodeImage(payload: Uint8Array, width: number, height: number, ctx: CodecContext, out: Uint8Array): void {
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
    decodeJpegInto(stream, length, out, width, height, 1, width * height, CodecErrorType.CorruptPayload);
  },
};
