import { CodecErrorType, codecError } from '../frame/frame-error.js';
import type { FeatureShape } from '../tiling.js';

/** What a codec needs to know besides the bytes; everything here is in the frame header. */
export interface CodecContext {
  shape: FeatureShape;
  /** Quantizer bits, 1..8. */
  bits: number;
  /** Codec quality (JPEG 1..100; 0 for lossless codecs). */
  quality: number;
  /** JPEG only: the payload is the scan without headers (rebuilt by the decoder). */
  tablesOmitted: boolean;
  /** JPEG only: a compact complete JPEG (optimised Huffman tables, no APP0). @default false */
  compact?: boolean;
}

/** What every codec declares. */
interface CodecInfo {
  /** The id written in the frame header (1..255, never reused). */
  readonly id: number;
  /** The name used in options and reports, e.g. `jpeg`. */
  readonly name: string;
  /** True when decoding may not give back the exact levels. */
  readonly lossy: boolean;
  /** True when the codec reads `quality` (1..100); others require quality 0 in the frame. */
  readonly usesQuality: boolean;
  /** True when the codec supports the tables-omitted flag. */
  readonly supportsOmitTables: boolean;
}

/**
 * A codec of the tiled grayscale image (JPEG, PNG; WebP would be one): the frame code quantizes and
 * tiles in one pass into `pixels` (`p = floor(q*255/levels + 0.5)`), and untiles and dequantizes in
 * one pass after decoding.
 */
export interface ImageCodec extends CodecInfo {
  readonly kind: 'image';
  /** Encodes the image; the result may be a view of a scratch buffer valid until the next call. */
  encodeImage(pixels: Uint8Array, width: number, height: number, ctx: CodecContext): Uint8Array;
  /** Decodes a payload into `out[0, width*height)`; throws `frame_corrupt_payload` or `frame_payload_mismatch`. */
  decodeImage(
    payload: Uint8Array,
    width: number,
    height: number,
    ctx: CodecContext,
    out: Uint8Array,
  ): void;
}

/** A codec of the levels themselves (CHW order, values in 0..2^bits-1), e.g. raw. */
export interface LevelCodec extends CodecInfo {
  readonly kind: 'levels';
  /** Encodes levels; the result may be a view of a scratch buffer valid until the next call. */
  encode(levels: Uint8Array, ctx: CodecContext): Uint8Array;
  /** Decodes a payload into `out[0, c*h*w)`; throws `frame_corrupt_payload` or `frame_payload_mismatch`. */
  decode(payload: Uint8Array, ctx: CodecContext, out: Uint8Array): void;
}

/**
 * One feature codec. New codecs implement one of the two kinds and register an unused id with
 * {@link registerCodec}.
 */
export type FeatureCodec = ImageCodec | LevelCodec;

const byId = new Map<number, FeatureCodec>();
const byName = new Map<string, FeatureCodec>();

/** Adds a codec to the registry; an id or name that is taken is a programming error. */
export function registerCodec(codec: FeatureCodec): void {
  if (!Number.isInteger(codec.id) || codec.id < 1 || codec.id > 255) {
    throw codecError(CodecErrorType.BadOptions, `codec id must be in 1..255, got ${codec.id}`);
  }
  if (byId.has(codec.id) || byName.has(codec.name)) {
    throw codecError(
      CodecErrorType.BadOptions,
      `codec ${codec.name} (id ${codec.id}) is already registered`,
    );
  }
  byId.set(codec.id, codec);
  byName.set(codec.name, codec);
}

/** The codec with this id, or undefined. */
export function codecById(id: number): FeatureCodec | undefined {
  return byId.get(id);
}

/** The codec with this name; an unknown name throws `frame_unknown_codec`. */
export function codecByName(name: string): FeatureCodec {
  const c = byName.get(name);
  if (!c) {
    throw codecError(
      CodecErrorType.UnknownCodec,
      `unknown codec ${JSON.stringify(name)} (known: ${[...byName.keys()].join(', ')})`,
    );
  }
  return c;
}

/** Names of the registered codecs. */
export function codecNames(): string[] {
  return [...byName.keys()];
}
