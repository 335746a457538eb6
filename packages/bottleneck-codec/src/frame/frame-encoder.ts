import { jpegCodec } from '../codecs/jpeg-codec.js';
import { scanBounds } from '../jpeg/abbreviated.js';
import {
  encodeFeatureJpegScratch,
  encodeFeatureScanScratch,
  type JpegStreamKind,
} from '../jpeg/jpeg-native.js';
import { ownedBytes } from '../internal/pool.js';
import { checkShape, type FeatureShape } from '../tiling.js';
import { CodecErrorType, codecError } from './frame-error.js';
import {
  encodeFeatureFrame,
  prepareFeatureEncode,
  type EncodeFeatureOptions,
} from './feature-frame.js';
import {
  FLAG_COMPACT_JPEG,
  FLAG_TABLES_OMITTED,
  FRAME_FIXED_HEADER_BYTES,
  frameHeaderLength,
  writeFrameHeader,
} from './frame-header.js';

/** min and max as little-endian float32 bytes, whatever the host's byte order. */
const rangeView = new DataView(new ArrayBuffer(8));
const rangeBytes = new Uint8Array(rangeView.buffer);
const rangeScratch = new Float64Array(2);

/**
 * {@link encodeFeatureFrame} for one shape and one set of options, checked once: a device that sends
 * the same partition's features request after request pays the option checks, the codec lookup and
 * the tiling arithmetic once, not per frame, and can write each frame straight into its own buffer
 * (`encodeInto`, e.g. inside a protobuf body). Byte-identical to `encodeFeatureFrame(data, shape,
 * options)` (tested). JPEG runs its own short path: with tables omitted (the default) one native call
 * does range, quantize, tile and the scan without libjpeg's per-image set-up (native/jpeg-scan.c,
 * byte-identical to libjpeg-turbo's scan); complete JPEGs are libjpeg's stream as in
 * `encodeFeatureFrame`; the fixed header bytes are precomputed. The other codecs go through
 * `encodeFeatureFrame`.
 */
export class FeatureFrameEncoder {
  readonly shape: FeatureShape;
  /** c * h * w: the length of the data each call takes. */
  readonly length: number;
  private readonly options: EncodeFeatureOptions;
  private readonly jpeg: boolean;
  private readonly bits: number;
  private readonly quality: number;
  private readonly tablesOmitted: boolean;
  private readonly kind: JpegStreamKind;
  /** Bytes 0..12 of every frame: magic, version, codec id, bits, flags, quality, shape. */
  private readonly fixed: Uint8Array;

  constructor(shape: FeatureShape, options: EncodeFeatureOptions) {
    this.length = checkShape(shape);
    this.shape = [shape[0], shape[1], shape[2]];
    this.options = { ...options };
    const p = prepareFeatureEncode(this.shape, this.options);
    this.jpeg = p.codec === jpegCodec;
    this.bits = p.bits;
    this.quality = p.quality;
    this.tablesOmitted = p.tablesOmitted;
    this.kind = p.compact ? 'compact' : 'standard';
    const header = new Uint8Array(FRAME_FIXED_HEADER_BYTES + 1);
    writeFrameHeader(header, {
      codecId: p.codec.id,
      bits: p.bits,
      flags: (p.tablesOmitted ? FLAG_TABLES_OMITTED : 0) | (p.compact ? FLAG_COMPACT_JPEG : 0),
      quality: p.quality,
      shape: this.shape,
      min: 0,
      max: 0,
      payloadLength: 0,
    });
    this.fixed = header.slice(0, 13);
  }

  /** The frame of `data` in a fresh array (as `encodeFeatureFrame`). */
  encode(data: Float32Array): Uint8Array {
    if (!this.jpeg) return encodeFeatureFrame(this.checked(data), this.shape, this.options);
    const { payload, min, max } = this.jpegPayload(this.checked(data));
    const frame = ownedBytes(frameHeaderLength(payload.length) + payload.length);
    this.writeFrame(frame, 0, payload, min, max);
    return frame;
  }

  /**
   * Writes the frame of `data` at `out[offset, ...)` and returns its length in bytes; nothing is
   * written and `codec_output_too_small` is thrown when it does not fit.
   */
  encodeInto(data: Float32Array, out: Uint8Array, offset: number): number {
    if (!this.jpeg) {
      const frame = encodeFeatureFrame(this.checked(data), this.shape, this.options);
      this.room(frame.length, out, offset);
      out.set(frame, offset);
      return frame.length;
    }
    const { payload, min, max } = this.jpegPayload(this.checked(data));
    const n = frameHeaderLength(payload.length) + payload.length;
    this.room(n, out, offset);
    this.writeFrame(out, offset, payload, min, max);
    return n;
  }

  private checked(data: Float32Array): Float32Array {
    if (!(data instanceof Float32Array))
      throw codecError(CodecErrorType.BadOptions, 'data must be a Float32Array');
    if (data.length !== this.length) checkShape(this.shape, data.length); // throws the message encodeFeatureFrame gives
    return data;
  }

  private room(n: number, out: Uint8Array, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + n > out.length) {
      throw codecError(
        CodecErrorType.OutputTooSmall,
        `cannot write a ${n}-byte frame at offset ${offset} of a ${out.length}-byte output`,
      );
    }
  }

  private jpegPayload(data: Float32Array): { payload: Uint8Array; min: number; max: number } {
    if (this.tablesOmitted && this.kind === 'standard') {
      const scan = encodeFeatureScanScratch(
        data,
        this.shape,
        this.bits,
        this.quality,
        rangeScratch,
      );
      if (scan !== undefined)
        return { payload: scan, min: rangeScratch[0]!, max: rangeScratch[1]! };
    }
    const { jpeg, min, max } = encodeFeatureJpegScratch(
      data,
      this.shape,
      this.bits,
      this.quality,
      this.kind,
    );
    if (!this.tablesOmitted) return { payload: jpeg, min, max };
    const scan = scanBounds(jpeg, jpeg.length);
    if (!scan)
      throw codecError(CodecErrorType.BadOptions, 'the JPEG encoder wrote an unexpected stream');
    return { payload: jpeg.subarray(scan.start, scan.end), min, max };
  }

  private writeFrame(
    out: Uint8Array,
    offset: number,
    payload: Uint8Array,
    min: number,
    max: number,
  ): void {
    out.set(this.fixed, offset);
    rangeView.setFloat32(0, min, true);
    rangeView.setFloat32(4, max, true);
    out.set(rangeBytes, offset + 13);
    let pos = offset + FRAME_FIXED_HEADER_BYTES;
    let p = payload.length;
    while (p >= 0x80) {
      out[pos++] = (p & 0x7f) | 0x80;
      p = Math.floor(p / 128);
    }
    out[pos++] = p;
    out.set(payload, pos);
  }
}
