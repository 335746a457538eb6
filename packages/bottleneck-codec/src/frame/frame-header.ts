import { codecById } from '../codecs/codec.js';
import { tiledSize, type FeatureShape } from '../tiling.js';
import { CodecErrorType, codecError } from './frame-error.js';

/**
 * The encoded-feature frame, version 1 (all multi-byte fields little-endian; see docs/codec.md):
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 2 | magic `0x42 0x4E` ("BN") |
 * | 2 | 1 | version (1) |
 * | 3 | 1 | codec id (1 jpeg, 2 png, 3 raw) |
 * | 4 | 1 | bits, 1..8 |
 * | 5 | 1 | flags: bit 0 = JPEG tables omitted, bit 1 = compact JPEG (not both); other bits must be 0 |
 * | 6 | 1 | quality: 1..100 for JPEG, 0 for lossless codecs |
 * | 7 | 6 | shape c, h, w: uint16 each, 1..65535 |
 * | 13 | 4 | min, float32 |
 * | 17 | 4 | max, float32 |
 * | 21 | 1..4 | payload length, unsigned LEB128 varint (shortest form) |
 * | ... | n | payload; nothing may follow it |
 */
export const FRAME_MAGIC_0 = 0x42;
export const FRAME_MAGIC_1 = 0x4e;
export const FRAME_VERSION = 1;
/** Bytes before the payload-length varint. */
export const FRAME_FIXED_HEADER_BYTES = 21;
export const FLAG_TABLES_OMITTED = 1;
/** The payload is a compact complete JPEG: optimised Huffman tables, no JFIF APP0 (docs/codec.md). */
export const FLAG_COMPACT_JPEG = 2;
const KNOWN_FLAGS = FLAG_TABLES_OMITTED | FLAG_COMPACT_JPEG;
/** @default 16 MiB */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Largest c*h*w a frame may declare. @default 16M */
export const DEFAULT_MAX_ELEMENTS = 16 * 1024 * 1024;
/** Largest side of a tiled image (JPEG's limit). */
export const MAX_IMAGE_SIDE = 65500;

/** The parsed header of a frame, plus where its payload lies. */
export interface FrameHeader {
  version: number;
  codecId: number;
  /** Registered name of the codec, e.g. `jpeg`. */
  codec: string;
  bits: number;
  flags: number;
  tablesOmitted: boolean;
  /** The payload is a compact complete JPEG (optimised Huffman tables, no APP0). */
  compactJpeg: boolean;
  quality: number;
  shape: FeatureShape;
  min: number;
  max: number;
  /** Bytes before the payload (fixed part + varint). */
  headerLength: number;
  payloadOffset: number;
  payloadLength: number;
}

/** Limits applied while parsing. */
export interface FrameLimits {
  /** Largest accepted frame. @default 16 MiB */
  maxFrameBytes?: number;
  /** Largest accepted c*h*w. @default 16M */
  maxElements?: number;
}

/**
 * Parses and validates a frame header without decoding the payload. Every failure is a MeshError
 * with a {@link CodecErrorType}: truncated, oversized, bad magic, unsupported version, unknown
 * codec, bad header field, bad min/max, payload length mismatch.
 */
export function parseFrameHeader(frame: Uint8Array, limits: FrameLimits = {}): FrameHeader {
  if (!(frame instanceof Uint8Array))
    throw codecError(CodecErrorType.Truncated, 'frame is not a byte array');
  const maxBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const n = frame.length;
  if (n > maxBytes)
    throw codecError(
      CodecErrorType.Oversized,
      `frame is ${n} bytes, above the limit of ${maxBytes}`,
    );
  if (n < 2)
    throw codecError(CodecErrorType.Truncated, `frame is ${n} bytes, shorter than its magic`);
  if (frame[0] !== FRAME_MAGIC_0 || frame[1] !== FRAME_MAGIC_1) {
    throw codecError(
      CodecErrorType.BadMagic,
      `frame starts with 0x${hex(frame[0]!)}${hex(frame[1]!)}, not 0x424e ("BN")`,
    );
  }
  if (n < 3) throw codecError(CodecErrorType.Truncated, 'frame ends before its version byte');
  const version = frame[2]!;
  if (version !== FRAME_VERSION) {
    throw codecError(
      CodecErrorType.UnsupportedVersion,
      `frame version ${version} is not supported (this build reads ${FRAME_VERSION})`,
    );
  }
  if (n < FRAME_FIXED_HEADER_BYTES + 1) {
    throw codecError(
      CodecErrorType.Truncated,
      `frame is ${n} bytes, shorter than its ${FRAME_FIXED_HEADER_BYTES + 1}-byte header`,
    );
  }
  const codecId = frame[3]!;
  const codec = codecById(codecId);
  if (!codec)
    throw codecError(CodecErrorType.UnknownCodec, `frame codec id ${codecId} is not registered`);
  const bits = frame[4]!;
  if (bits < 1 || bits > 8)
    throw codecError(CodecErrorType.BadHeader, `frame bits ${bits} is outside 1..8`);
  const flags = frame[5]!;
  if ((flags & ~KNOWN_FLAGS) !== 0)
    throw codecError(CodecErrorType.BadHeader, `frame flags 0x${hex(flags)} has unknown bits`);
  const tablesOmitted = (flags & FLAG_TABLES_OMITTED) !== 0;
  if (tablesOmitted && !codec.supportsOmitTables) {
    throw codecError(CodecErrorType.BadHeader, `codec ${codec.name} has no tables-omitted mode`);
  }
  const compactJpeg = (flags & FLAG_COMPACT_JPEG) !== 0;
  if (compactJpeg && !codec.supportsOmitTables) {
    throw codecError(CodecErrorType.BadHeader, `codec ${codec.name} has no compact JPEG mode`);
  }
  if (compactJpeg && tablesOmitted) {
    throw codecError(
      CodecErrorType.BadHeader,
      `frame flags 0x${hex(flags)}: tables omitted and compact JPEG exclude each other`,
    );
  }
  const quality = frame[6]!;
  if (codec.usesQuality ? quality < 1 || quality > 100 : quality !== 0) {
    throw codecError(
      CodecErrorType.BadHeader,
      `frame quality ${quality} is invalid for ${codec.name} (${codec.usesQuality ? '1..100' : 'must be 0'})`,
    );
  }
  const view = new DataView(frame.buffer, frame.byteOffset, n);
  const c = view.getUint16(7, true);
  const h = view.getUint16(9, true);
  const w = view.getUint16(11, true);
  if (c === 0 || h === 0 || w === 0)
    throw codecError(CodecErrorType.BadHeader, `frame shape ${c}x${h}x${w} has a zero dimension`);
  const maxElements = limits.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (c * h * w > maxElements) {
    throw codecError(
      CodecErrorType.Oversized,
      `frame shape ${c}x${h}x${w} is above the limit of ${maxElements} values`,
    );
  }
  if (codec.kind === 'image') {
    const { width, height } = tiledSize([c, h, w]);
    if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
      throw codecError(
        CodecErrorType.BadHeader,
        `frame shape ${c}x${h}x${w} tiles into ${width}x${height}, above ${MAX_IMAGE_SIDE}`,
      );
    }
  }
  const min = view.getFloat32(13, true);
  const max = view.getFloat32(17, true);
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw codecError(CodecErrorType.BadRange, `frame min/max ${min}/${max} is not finite`);
  }
  if (min > max) throw codecError(CodecErrorType.BadRange, `frame min ${min} is above max ${max}`);
  // Payload length: unsigned LEB128, at most 4 bytes, shortest form.
  let payloadLength = 0;
  let pos = FRAME_FIXED_HEADER_BYTES;
  for (let shift = 0; ; shift += 7) {
    if (pos >= n)
      throw codecError(CodecErrorType.Truncated, 'frame ends inside its payload length');
    if (shift >= 28)
      throw codecError(
        CodecErrorType.BadHeader,
        'frame payload length varint is longer than 4 bytes',
      );
    const b = frame[pos++]!;
    payloadLength += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (b === 0 && shift > 0)
        throw codecError(
          CodecErrorType.BadHeader,
          'frame payload length varint is not in shortest form',
        );
      break;
    }
  }
  const rest = n - pos;
  if (payloadLength > rest) {
    throw codecError(
      CodecErrorType.Truncated,
      `frame declares a ${payloadLength}-byte payload but carries ${rest} bytes`,
    );
  }
  if (payloadLength < rest) {
    throw codecError(
      CodecErrorType.PayloadMismatch,
      `frame has ${rest - payloadLength} bytes after its ${payloadLength}-byte payload`,
    );
  }
  return {
    version,
    codecId,
    codec: codec.name,
    bits,
    flags,
    tablesOmitted,
    compactJpeg,
    quality,
    shape: [c, h, w],
    min,
    max,
    headerLength: pos,
    payloadOffset: pos,
    payloadLength,
  };
}

/** Bytes the header takes for a payload of `payloadLength` bytes. */
export function frameHeaderLength(payloadLength: number): number {
  let v = 1;
  for (let p = payloadLength; p >= 0x80; p = Math.floor(p / 128)) v++;
  return FRAME_FIXED_HEADER_BYTES + v;
}

/** Fields written by {@link writeFrameHeader}. */
export interface FrameHeaderFields {
  codecId: number;
  bits: number;
  flags: number;
  quality: number;
  shape: FeatureShape;
  min: number;
  max: number;
  payloadLength: number;
}

/** Writes a header at the start of `out` (which must hold it) and returns its length. */
export function writeFrameHeader(out: Uint8Array, f: FrameHeaderFields): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = FRAME_MAGIC_0;
  out[1] = FRAME_MAGIC_1;
  out[2] = FRAME_VERSION;
  out[3] = f.codecId;
  out[4] = f.bits;
  out[5] = f.flags;
  out[6] = f.quality;
  view.setUint16(7, f.shape[0], true);
  view.setUint16(9, f.shape[1], true);
  view.setUint16(11, f.shape[2], true);
  view.setFloat32(13, f.min, true);
  view.setFloat32(17, f.max, true);
  let pos = FRAME_FIXED_HEADER_BYTES;
  let p = f.payloadLength;
  while (p >= 0x80) {
    out[pos++] = (p & 0x7f) | 0x80;
    p = Math.floor(p / 128);
  }
  out[pos++] = p;
  return pos;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
