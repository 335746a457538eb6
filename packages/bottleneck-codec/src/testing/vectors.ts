/**
 * The shared quantizer/tiling/JPEG/frame test vectors (packages/bottleneck-codec/vectors/*.json).
 * The TypeScript tests check that the package still reproduces every byte of them, and the Python
 * training tests check that their implementation does too (docs/codec.md, "Shared test vectors").
 * Written by scripts/generate-vectors.mjs.
 */
import {
  abbreviatedHeader,
  decodeJpegImage,
  dequantize,
  encodeFeatureFrame,
  encodeJpegImage,
  levelToPixelTable,
  parseFrameHeader,
  quantize,
  scanBounds,
  tile,
  tileGrid,
} from '../index.js';
import { syntheticFeature } from './synthetic-feature.js';

export const VECTOR_SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [1, 28, 28],
  [2, 28, 28],
  [5, 14, 14],
  [10, 7, 7],
  [3, 5, 7],
];
export const VECTOR_BITS = [1, 2, 4, 6, 8];
export const VECTOR_QUALITY = 20;

const b64 = (a: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

function f32le(a: Float32Array): string {
  const buf = Buffer.alloc(a.length * 4);
  for (let i = 0; i < a.length; i++) buf.writeFloatLE(a[i]!, i * 4);
  return buf.toString('base64');
}

export function vectorCase(
  shape: readonly [number, number, number],
  bits: number,
  input: Float32Array,
) {
  const { q, min, max } = quantize(input, bits);
  const img = tile(q, shape, undefined, levelToPixelTable(bits));
  const jpegFull = encodeJpegImage(img.pixels, img.width, img.height, 1, VECTOR_QUALITY);
  const scan = scanBounds(jpegFull, jpegFull.length)!;
  const decoded = decodeJpegImage(jpegFull, { channels: 1 });
  const frame = encodeFeatureFrame(input, shape, {
    codec: 'jpeg',
    quality: VECTOR_QUALITY,
    bits,
    omitTables: true,
  });
  const frameFull = encodeFeatureFrame(input, shape, {
    codec: 'jpeg',
    quality: VECTOR_QUALITY,
    bits,
    omitTables: false,
  });
  const frameRaw = encodeFeatureFrame(input, shape, { codec: 'raw', bits });
  const jpegCompact = encodeJpegImage(img.pixels, img.width, img.height, 1, VECTOR_QUALITY, {
    compact: true,
  });
  const frameCompact = encodeFeatureFrame(input, shape, {
    codec: 'jpeg',
    quality: VECTOR_QUALITY,
    bits,
    jpegMode: 'compact',
  });
  const header = parseFrameHeader(frame);
  return {
    shape,
    bits,
    inputF32LE: f32le(input),
    min,
    max,
    quantized: b64(q),
    dequantizedF32LE: f32le(dequantize(q, bits, min, max)),
    grid: tileGrid(shape[0]),
    tiled: { width: img.width, height: img.height, pixels: b64(img.pixels) },
    jpeg: {
      quality: VECTOR_QUALITY,
      full: b64(jpegFull),
      abbreviatedPayload: b64(jpegFull.subarray(scan.start, scan.end)),
      rebuiltHeader: b64(abbreviatedHeader(VECTOR_QUALITY, img.width, img.height)),
      decodedPixels: b64(decoded.pixels),
      compact: b64(jpegCompact),
    },
    frameHeaderBytes: b64(frame.subarray(0, header.payloadOffset)),
    frame: b64(frame),
    frameFullJpeg: b64(frameFull),
    frameRaw: b64(frameRaw),
    frameCompactJpeg: b64(frameCompact),
  };
}

export function vectorFile(shape: readonly [number, number, number]) {
  const [c, h, w] = shape;
  const seed = c * 1000003 + h * 1009 + w;
  const input = syntheticFeature(shape, seed);
  const constant = new Float32Array(c * h * w).fill(0.75);
  return {
    description:
      'BottleNet codec shared vectors: see docs/codec.md ("Shared test vectors"). All base64; float32 little-endian.',
    shape,
    cases: [
      ...VECTOR_BITS.map((bits) => vectorCase(shape, bits, input)),
      { ...vectorCase(shape, 8, constant), note: 'constant tensor: min == max, every level 0' },
    ],
  };
}

export function vectorFileName(shape: readonly [number, number, number]): string {
  return `feature-${shape.join('x')}.json`;
}
