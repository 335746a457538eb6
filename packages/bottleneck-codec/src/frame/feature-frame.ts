import { codecById, codecByName } from '../codecs/codec.js';
import '../codecs/builtin.js';
import { decodeJpegFeatureInto, encodeJpegFeature, jpegCodec } from '../codecs/jpeg-codec.js';
import { dequantizeInto } from '../internal/dequantize-into.js';
import { quantizeToTiles, tilesToDequantized } from '../internal/fused.js';
import { ownedBytes } from '../internal/pool.js';
import { levelsOf, quantizeInto, tensorRange } from '../quantize.js';
import { tiledSize, checkShape, type FeatureShape } from '../tiling.js';
import { CodecErrorType, codecError } from './frame-error.js';
import {
  FLAG_COMPACT_JPEG,
  FLAG_TABLES_OMITTED,
  MAX_IMAGE_SIDE,
  frameHeaderLength,
  parseFrameHeader,
  writeFrameHeader,
  type FrameLimits,
} from './frame-header.js';

/** Options of {@link encodeFeatureFrame}. */
export interface EncodeFeatureOptions {
  /** Codec name: `jpeg`, `png`, `raw` or a registered one. */
  codec: string;
  /** JPEG quality 1..100. @default 20 (the paper's) */
  quality?: number;
  /** Quantizer bits 1..8. @default 8 */
  bits?: number;
  /** JPEG only: send the scan without headers. @default true (unless `jpegMode` says otherwise) */
  omitTables?: boolean;
  /**
   * JPEG only, the payload kind: `abbreviated` (the scan only, tables omitted: the default), `full`
   * (the standard complete JPEG) or `compact` (a complete JPEG with optimised Huffman tables and no
   * APP0, any decoder reads it). Overrides `omitTables`, which must agree when both are given.
   */
  jpegMode?: JpegMode;
}

/** The JPEG payload kinds (see {@link EncodeFeatureOptions.jpegMode}). */
export type JpegMode = 'abbreviated' | 'full' | 'compact';

/** Options of {@link decodeFeatureFrame}. */
export interface DecodeFeatureOptions extends FrameLimits {
  /** When given, a frame of any other shape is rejected with `frame_shape_mismatch`. */
  expectedShape?: FeatureShape;
}

/** What a frame describes, without its data. */
export interface FrameInfo {
  shape: FeatureShape;
  codec: string;
  bits: number;
  min: number;
  max: number;
  /** JPEG quality, 0 for lossless codecs. */
  quality: number;
  tablesOmitted: boolean;
  /** The payload was a compact complete JPEG (flag bit 1). */
  compactJpeg: boolean;
}

/** A decoded feature: float32 CHW data plus what the frame said about it. */
export interface DecodedFeature extends FrameInfo {
  data: Float32Array;
}

let byteScratch = new Uint8Array(1024);

/** A reused buffer of at least `n` bytes (calls are synchronous, so one per thread suffices). */
function scratch(n: number): Uint8Array {
  if (byteScratch.length < n) byteScratch = new Uint8Array(Math.max(n, byteScratch.length * 2));
  return byteScratch;
}

/**
 * Quantizes `data` (float32, CHW, `shape`) to `bits`, encodes it with `codec` and returns the
 * self-describing frame (header + payload), ready for the wire.
 */
export function encodeFeatureFrame(
  data: Float32Array,
  shape: FeatureShape,
  options: EncodeFeatureOptions,
): Uint8Array {
  if (!(data instanceof Float32Array))
    throw codecError(CodecErrorType.BadOptions, 'data must be a Float32Array');
  const n = checkShape(shape, data.length);
  const { codec, bits, lv, quality, tablesOmitted, compact } = prepareFeatureEncode(shape, options);
  const ctx = { shape, bits, quality, tablesOmitted, compact };
  let payload: Uint8Array;
  let min: number;
  let max: number;
  if (codec === jpegCodec) {
    ({ payload, min, max } = encodeJpegFeature(data, ctx));
  } else if (codec.kind === 'image') {
    ({ min, max } = tensorRange(data));
    const { width, height } = tiledSize(shape);
    const pixels = scratch(width * height);
    quantizeToTiles(data, shape, bits, min, max, pixels, width, height);
    payload = codec.encodeImage(pixels, width, height, ctx);
  } else {
    ({ min, max } = tensorRange(data));
    const q = scratch(n).subarray(0, n);
    quantizeInto(data, 0, n, min, max, lv, q);
    payload = codec.encode(q, ctx);
  }
  const headerLength = frameHeaderLength(payload.length);
  const frame = ownedBytes(headerLength + payload.length);
  writeFrameHeader(frame, {
    codecId: codec.id,
    bits,
    flags: (tablesOmitted ? FLAG_TABLES_OMITTED : 0) | (compact ? FLAG_COMPACT_JPEG : 0),
    quality,
    shape,
    min,
    max,
    payloadLength: payload.length,
  });
  frame.set(payload, headerLength);
  return frame;
}

function jpegModeOf(
  supported: boolean,
  options: EncodeFeatureOptions,
): { tablesOmitted: boolean; compact: boolean } {
  const { jpegMode, omitTables } = options;
  if (jpegMode === undefined)
    return { tablesOmitted: supported && (omitTables ?? true), compact: false };
  if (jpegMode !== 'abbreviated' && jpegMode !== 'full' && jpegMode !== 'compact') {
    throw codecError(
      CodecErrorType.BadOptions,
      `jpegMode must be abbreviated, full or compact, got ${String(jpegMode)}`,
    );
  }
  if (omitTables !== undefined && omitTables !== (jpegMode === 'abbreviated')) {
    throw codecError(
      CodecErrorType.BadOptions,
      `jpegMode ${jpegMode} contradicts omitTables ${String(omitTables)}`,
    );
  }
  if (!supported) {
    throw codecError(
      CodecErrorType.BadOptions,
      `codec ${options.codec} has no jpegMode (JPEG only)`,
    );
  }
  return { tablesOmitted: jpegMode === 'abbreviated', compact: jpegMode === 'compact' };
}

/** The checked settings of one encode: what {@link encodeFeatureFrame} validates besides the data. */
export interface PreparedFeatureEncode {
  readonly codec: ReturnType<typeof codecByName>;
  readonly bits: number;
  readonly lv: number;
  readonly quality: number;
  readonly tablesOmitted: boolean;
  readonly compact: boolean;
}

/** Validates `options` for `shape` (already checked): codec, bits, quality, JPEG mode, tiled size. */
export function prepareFeatureEncode(
  shape: FeatureShape,
  options: EncodeFeatureOptions,
): PreparedFeatureEncode {
  const codec = codecByName(options.codec);
  const bits = options.bits ?? 8;
  const lv = levelsOf(bits);
  let quality = 0;
  if (codec.usesQuality) {
    quality = options.quality ?? 20;
    if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
      throw codecError(
        CodecErrorType.BadOptions,
        `${codec.name} quality must be an integer in 1..100, got ${String(quality)}`,
      );
    }
  }
  const { tablesOmitted, compact } = jpegModeOf(codec.supportsOmitTables, options);
  if (codec.kind === 'image') {
    const { width, height } = tiledSize(shape);
    if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
      throw codecError(
        CodecErrorType.BadOptions,
        `shape ${shape.join('x')} tiles into ${width}x${height}, above ${MAX_IMAGE_SIDE}`,
      );
    }
  }
  return { codec, bits, lv, quality, tablesOmitted, compact };
}

/** Parses, checks and decodes a frame into a new Float32Array. */
export function decodeFeatureFrame(
  frame: Uint8Array,
  options: DecodeFeatureOptions = {},
): DecodedFeature {
  const header = parseFrameHeader(frame, options);
  checkExpectedShape(header.shape, options.expectedShape);
  const [c, h, w] = header.shape;
  const data = new Float32Array(c * h * w);
  const info = decodeInto(frame, header, data, 0, options.expectedShape);
  return { ...info, data };
}

/**
 * Decodes a frame straight into `out[offset, offset + c*h*w)`, e.g. one sample of a batch tensor.
 * The frame's shape must equal `expectedShape`.
 */
export function decodeFeatureFrameInto(
  frame: Uint8Array,
  out: Float32Array,
  offset: number,
  expectedShape: FeatureShape,
  limits: FrameLimits = {},
): FrameInfo {
  const header = parseFrameHeader(frame, limits);
  return decodeInto(frame, header, out, offset, expectedShape);
}

function decodeInto(
  frame: Uint8Array,
  header: ReturnType<typeof parseFrameHeader>,
  out: Float32Array,
  offset: number,
  expectedShape: FeatureShape | undefined,
): FrameInfo {
  const { shape } = header;
  checkExpectedShape(shape, expectedShape);
  const n = shape[0] * shape[1] * shape[2];
  if (!Number.isInteger(offset) || offset < 0 || offset + n > out.length) {
    throw codecError(
      CodecErrorType.OutputTooSmall,
      `cannot write ${n} values at offset ${offset} of a ${out.length}-value output`,
    );
  }
  const codec = codecById(header.codecId)!;
  const payload = frame.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
  const ctx = {
    shape,
    bits: header.bits,
    quality: header.quality,
    tablesOmitted: header.tablesOmitted,
    compact: header.compactJpeg,
  };
  if (codec === jpegCodec) {
    decodeJpegFeatureInto(payload, ctx, header.min, header.max, out, offset);
  } else if (codec.kind === 'image') {
    const { width, height } = tiledSize(shape);
    const pixels = scratch(width * height);
    codec.decodeImage(payload, width, height, ctx, pixels);
    tilesToDequantized(pixels, shape, header.bits, header.min, header.max, width, out, offset);
  } else {
    const q = scratch(n).subarray(0, n);
    codec.decode(payload, ctx, q);
    dequantizeInto(q, header.bits, header.min, header.max, out, offset);
  }
  return {
    shape,
    codec: header.codec,
    bits: header.bits,
    min: header.min,
    max: header.max,
    quality: header.quality,
    tablesOmitted: header.tablesOmitted,
    compactJpeg: header.compactJpeg,
  };
}

function checkExpectedShape(shape: FeatureShape, expected: FeatureShape | undefined): void {
  if (
    expected &&
    (expected[0] !== shape[0] || expected[1] !== shape[1] || expected[2] !== shape[2])
  ) {
    throw codecError(
      CodecErrorType.ShapeMismatch,
      `frame shape ${shape.join('x')} does not match the expected ${expected.join('x')}`,
    );
  }
}
