import { CodecErrorType, codecError } from '../frame/frame-error.js';
import type { CodecContext, LevelCodec } from './codec.js';

let scratch = new Uint8Array(1024);

/** Payload bytes of `count` values of `bits` bits, packed. */
export function packedLength(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

/**
 * Raw baseline: the levels in CHW order, bit-packed MSB first (`bits` bits each, the last byte padded
 * with zero bits). Lossless, no tiling.
 */
export const rawCodec: LevelCodec = {
  kind: 'levels',
  id: 3,
  name: 'raw',
  lossy: false,
  usesQuality: false,
  supportsOmitTables: false,

  encode(levels: Uint8Array, ctx: CodecContext): Uint8Array {
    const n = levels.length;
    const bits = ctx.bits;
    if (bits === 8) return levels;
    const len = packedLength(n, bits);
    if (scratch.length < len) scratch = new Uint8Array(Math.max(len, scratch.length * 2));
    const out = scratch.subarray(0, len);
    out.fill(0);
    let acc = 0;
    let nacc = 0;
    let o = 0;
    for (let i = 0; i < n; i++) {
      acc = (acc << bits) | levels[i]!;
      nacc += bits;
      if (nacc >= 8) {
        nacc -= 8;
        out[o++] = (acc >>> nacc) & 0xff;
        acc &= (1 << nacc) - 1;
      }
    }
    if (nacc > 0) out[o] = (acc << (8 - nacc)) & 0xff;
    return out;
  },

  decode(payload: Uint8Array, ctx: CodecContext, out: Uint8Array): void {
    const [c, h, w] = ctx.shape;
    const n = c * h * w;
    const bits = ctx.bits;
    const len = packedLength(n, bits);
    if (payload.length !== len) {
      throw codecError(
        CodecErrorType.PayloadMismatch,
        `raw payload of ${c}x${h}x${w} at ${bits} bits must be ${len} bytes, got ${payload.length}`,
      );
    }
    if (bits === 8) {
      out.set(payload.subarray(0, n));
      return;
    }
    const mask = (1 << bits) - 1;
    let acc = 0;
    let nacc = 0;
    let p = 0;
    for (let i = 0; i < n; i++) {
      if (nacc < bits) {
        acc = ((acc << 8) | payload[p++]!) & 0xffff;
        nacc += 8;
      }
      nacc -= bits;
      out[i] = (acc >>> nacc) & mask;
    }
    const padding = (len * 8 - n * bits) & 7;
    if (padding > 0 && (payload[len - 1]! & ((1 << padding) - 1)) !== 0) {
      throw codecError(CodecErrorType.CorruptPayload, 'raw payload has non-zero padding bits');
    }
  },
};
