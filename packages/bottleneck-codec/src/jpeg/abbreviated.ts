import {
  STD_AC_LUMINANCE_BITS,
  STD_AC_LUMINANCE_VALUES,
  STD_DC_LUMINANCE_BITS,
  STD_DC_LUMINANCE_VALUES,
  luminanceQuantTable,
} from './jpeg-tables.js';

/**
 * Tables-omitted ("abbreviated") grayscale JPEG, per docs/contracts-for-helpers.md: the payload is
 * the entropy-coded scan only; the receiver rebuilds SOI + DQT(quality) + SOF0(width, height) +
 * DHT(standard DC+AC) + SOS in front of it and appends EOI.
 */

const MAX_CACHED = 256;
const headers = new Map<number, Uint8Array>();

/** The rebuilt header (everything before the scan bytes) for a grayscale baseline JPEG. Cached. */
export function abbreviatedHeader(quality: number, width: number, height: number): Uint8Array {
  const key = quality * 4294967296 + height * 65536 + width;
  let h = headers.get(key);
  if (!h) {
    if (headers.size >= MAX_CACHED) headers.clear();
    h = buildHeader(quality, width, height);
    headers.set(key, h);
  }
  return h;
}

function buildHeader(quality: number, width: number, height: number): Uint8Array {
  const bytes: number[] = [0xff, 0xd8];
  // DQT: 8-bit precision, table 0.
  bytes.push(0xff, 0xdb, 0, 67, 0x00, ...luminanceQuantTable(quality));
  // SOF0: 8-bit, height, width, one component (id 1, 1x1 sampling, quant table 0).
  bytes.push(
    0xff,
    0xc0,
    0,
    11,
    8,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    1,
    1,
    0x11,
    0,
  );
  // DHT: DC table 0 and AC table 0 in one segment.
  const dht = [
    0x00,
    ...STD_DC_LUMINANCE_BITS,
    ...STD_DC_LUMINANCE_VALUES,
    0x10,
    ...STD_AC_LUMINANCE_BITS,
    ...STD_AC_LUMINANCE_VALUES,
  ];
  bytes.push(0xff, 0xc4, (dht.length + 2) >> 8, (dht.length + 2) & 0xff, ...dht);
  // SOS: one component (id 1, tables 0/0), spectral selection 0..63, no successive approximation.
  bytes.push(0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0);
  return Uint8Array.from(bytes);
}

/**
 * Start and end (exclusive, before EOI) of the entropy-coded scan in a baseline JPEG written by our
 * encoder, or undefined when the stream does not have the expected SOI ... SOS ... EOI structure.
 */
export function scanBounds(
  jpeg: Uint8Array,
  length: number,
): { start: number; end: number } | undefined {
  if (length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  if (jpeg[length - 2] !== 0xff || jpeg[length - 1] !== 0xd9) return undefined;
  let pos = 2;
  while (pos + 4 <= length) {
    if (jpeg[pos] !== 0xff) return undefined;
    const marker = jpeg[pos + 1]!;
    const segLen = (jpeg[pos + 2]! << 8) | jpeg[pos + 3]!;
    if (segLen < 2) return undefined;
    const next = pos + 2 + segLen;
    if (marker === 0xda) return next <= length - 2 ? { start: next, end: length - 2 } : undefined;
    if (marker === 0xd9 || marker === 0xc2) return undefined;
    pos = next;
  }
  return undefined;
}
