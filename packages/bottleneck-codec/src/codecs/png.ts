import { constants, crc32, deflateSync, inflateSync } from 'node:zlib';
import { CodecErrorType, codecError } from '../frame/frame-error.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A minimal PNG writer: 8-bit grayscale, not interlaced, filter 0 (None) on every row. */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++)
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const idat = deflateSync(raw, { level: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  const out = new Uint8Array(8 + 25 + 12 + idat.length + 12);
  const view = new DataView(out.buffer);
  out.set(SIGNATURE, 0);
  let pos = 8;
  const chunk = (type: string, data: Uint8Array) => {
    view.setUint32(pos, data.length);
    for (let i = 0; i < 4; i++) out[pos + 4 + i] = type.charCodeAt(i);
    out.set(data, pos + 8);
    view.setUint32(pos + 8 + data.length, crc32(out.subarray(pos + 4, pos + 8 + data.length)));
    pos += 12 + data.length;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  chunk('IHDR', ihdr);
  chunk('IDAT', idat);
  chunk('IEND', new Uint8Array(0));
  return out;
}

function corrupt(message: string, cause?: unknown) {
  return codecError(CodecErrorType.CorruptPayload, `png: ${message}`, cause);
}

/**
 * Strict PNG reader for what {@link encodeGrayPng} writes (any of the five row filters accepted):
 * 8-bit grayscale, not interlaced, exactly `width` x `height`, CRCs checked, ancillary chunks
 * skipped, inflate bounded to the expected size.
 */
export function decodeGrayPngInto(
  png: Uint8Array,
  width: number,
  height: number,
  out: Uint8Array,
): void {
  if (png.length < 8 + 25 + 12) throw corrupt('shorter than a PNG');
  for (let i = 0; i < 8; i++) if (png[i] !== SIGNATURE[i]) throw corrupt('bad signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const idat: Uint8Array[] = [];
  let pos = 8;
  let seenHeader = false;
  let ended = false;
  while (!ended) {
    if (pos + 12 > png.length) throw corrupt('truncated chunk');
    const len = view.getUint32(pos);
    if (len > png.length - pos - 12) throw corrupt('chunk length beyond the payload');
    const type = String.fromCharCode(png[pos + 4]!, png[pos + 5]!, png[pos + 6]!, png[pos + 7]!);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (crc32(png.subarray(pos + 4, pos + 8 + len)) !== view.getUint32(pos + 8 + len))
      throw corrupt(`bad CRC in ${type}`);
    if (!seenHeader && type !== 'IHDR') throw corrupt('first chunk is not IHDR');
    switch (type) {
      case 'IHDR': {
        if (seenHeader || len !== 13) throw corrupt('bad IHDR');
        const hv = new DataView(data.buffer, data.byteOffset, 13);
        if (hv.getUint32(0) !== width || hv.getUint32(4) !== height) {
          throw corrupt(
            `image is ${hv.getUint32(0)}x${hv.getUint32(4)}, expected ${width}x${height}`,
          );
        }
        if (data[8] !== 8 || data[9] !== 0 || data[10] !== 0 || data[11] !== 0 || data[12] !== 0) {
          throw corrupt('only 8-bit grayscale, non-interlaced PNG is accepted');
        }
        seenHeader = true;
        break;
      }
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        if ((png[pos + 4]! & 0x20) === 0)
          throw corrupt(`unknown critical chunk ${JSON.stringify(type)}`);
    }
    pos += 12 + len;
  }
  if (pos !== png.length) throw codecError(CodecErrorType.PayloadMismatch, 'png: bytes after IEND');
  if (idat.length === 0) throw corrupt('no IDAT');
  const stride = width + 1;
  const expected = stride * height;
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), {
      maxOutputLength: expected + 1,
    });
  } catch (cause) {
    throw corrupt('bad deflate stream', cause);
  }
  if (raw.length !== expected) throw corrupt(`inflated ${raw.length} bytes, expected ${expected}`);
  unfilter(raw, width, height, out);
}

function unfilter(raw: Uint8Array, width: number, height: number, out: Uint8Array): void {
  for (let y = 0; y < height; y++) {
    const f = raw[y * (width + 1)]!;
    const src = y * (width + 1) + 1;
    const row = y * width;
    const prev = row - width;
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? out[row + x - 1]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x > 0 && y > 0 ? out[prev + x - 1]! : 0;
      const v = raw[src + x]!;
      switch (f) {
        case 0:
          out[row + x] = v;
          break;
        case 1:
          out[row + x] = (v + a) & 0xff;
          break;
        case 2:
          out[row + x] = (v + b) & 0xff;
          break;
        case 3:
          out[row + x] = (v + ((a + b) >> 1)) & 0xff;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          out[row + x] = (v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
          break;
        }
        default:
          throw corrupt(`unknown row filter ${f}`);
      }
    }
  }
}
