import { endianness } from 'node:os';
import { normalizeInput, type InputSpec } from '@bottlenet/model-repo';
import type { ImageInput } from './types.js';

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The agent's hot path for `x = ((pixel / scale) - mean[c]) / std[c]`: per-channel 256-entry tables
 * (the same float32 values as `normalizeInput` of @bottlenet/model-repo, so results are bit-identical),
 * one pass over the interleaved pixels writing every plane, into a caller's buffer (no allocation).
 * Images whose channel count differs from the model's (gray <-> colour) and every malformed image go
 * to `normalizeInput`, which converts them or throws its specific error.
 */
export class InputNormaliser {
  private readonly tables: Float32Array[];
  readonly length: number;

  constructor(private readonly spec: InputSpec) {
    this.tables = spec.mean.map((mean, c) => {
      const std = spec.std[c]!;
      const t = new Float32Array(256);
      for (let p = 0; p < 256; p++) t[p] = (p / spec.scale - mean) / std;
      return t;
    });
    this.length = spec.shape[0] * spec.shape[1] * spec.shape[2];
  }

  /** Normalises `image` into `out` (at least `length` elements) and returns `out`. */
  normalise(image: ImageInput, out: Float32Array = new Float32Array(this.length)): Float32Array {
    const [C, H, W] = this.spec.shape;
    const plane = H * W;
    const px = image.pixels;
    const fits =
      image.width === W &&
      image.height === H &&
      px.length === plane * image.channels &&
      out.length >= this.length;
    if (fits && C === 3 && image.channels === 3) {
      const [t0, t1, t2] = this.tables as [Float32Array, Float32Array, Float32Array];
      if (LITTLE_ENDIAN && px.byteOffset % 4 === 0 && plane % 4 === 0) {
        rgbWords(
          new Uint32Array(px.buffer, px.byteOffset, (3 * plane) / 4),
          out,
          t0,
          t1,
          t2,
          plane,
        );
      } else {
        rgbBytes(px, out, t0, t1, t2, plane);
      }
      return out;
    }
    if (fits && C === 1 && image.channels === 1) {
      gray(px, out, this.tables[0]!, plane);
      return out;
    }
    return normalizeInput(
      this.spec,
      { data: px, width: image.width, height: image.height, channels: image.channels },
      { out },
    );
  }
}

function gray(px: Uint8Array, out: Float32Array, t: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = t[px[i]!]!;
}

function rgbBytes(
  px: Uint8Array,
  out: Float32Array,
  t0: Float32Array,
  t1: Float32Array,
  t2: Float32Array,
  plane: number,
): void {
  const p1 = plane;
  const p2 = 2 * plane;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[i] = t0[px[j]!]!;
    out[p1 + i] = t1[px[j + 1]!]!;
    out[p2 + i] = t2[px[j + 2]!]!;
  }
}

/** Four RGB pixels (three little-endian words) per step: a third of the loads of the byte loop. */
function rgbWords(
  w: Uint32Array,
  out: Float32Array,
  t0: Float32Array,
  t1: Float32Array,
  t2: Float32Array,
  plane: number,
): void {
  const p1 = plane;
  const p2 = 2 * plane;
  for (let i = 0, k = 0; i < plane; i += 4, k += 3) {
    const a = w[k]!;
    const b = w[k + 1]!;
    const c = w[k + 2]!;
    out[i] = t0[a & 255]!;
    out[p1 + i] = t1[(a >>> 8) & 255]!;
    out[p2 + i] = t2[(a >>> 16) & 255]!;
    out[i + 1] = t0[a >>> 24]!;
    out[p1 + i + 1] = t1[b & 255]!;
    out[p2 + i + 1] = t2[(b >>> 8) & 255]!;
    out[i + 2] = t0[(b >>> 16) & 255]!;
    out[p1 + i + 2] = t1[b >>> 24]!;
    out[p2 + i + 2] = t2[c & 255]!;
    out[i + 3] = t0[(c >>> 8) & 255]!;
    out[p1 + i + 3] = t1[(c >>> 16) & 255]!;
    out[p2 + i + 3] = t2[c >>> 24]!;
  }
}
