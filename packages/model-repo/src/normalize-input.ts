import { Code, MeshError } from '@bottlenet/errors';
import type { InputSpec } from './manifest-schema.js';

export interface PixelImage {
  /** 8-bit pixels (0..255), or any numbers on the same scale as the manifest's `scale`. */
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  /** Channels per pixel in `data`: 1 (gray) or 3 (RGB). 4 (RGBA) is accepted and alpha is ignored. */
  readonly channels: number;
  /**
   * `hwc` = interleaved (what JPEG/PNG decoders return), `chw` = planar.
   * @default 'hwc'
   */
  readonly layout?: 'hwc' | 'chw';
}

export interface NormalizeOptions {
  /** Write into this buffer (e.g. one slot of a batch) instead of allocating. */
  readonly out?: Float32Array;
  /** Element offset into `out`. @default 0 */
  readonly offset?: number;
}

/** `((p / scale) - mean[c]) / std[c]` for p = 0..255, per channel: exact for 8-bit input, no per-pixel division. */
function lookupTables(spec: InputSpec): Float32Array[] {
  return spec.mean.map((mean, c) => {
    const std = spec.std[c]!;
    const t = new Float32Array(256);
    for (let p = 0; p < 256; p++) t[p] = (p / spec.scale - mean) / std;
    return t;
  });
}

const tableCache = new WeakMap<InputSpec, Float32Array[]>();

/**
 * Pixels -> one normalised NCHW float32 sample of the manifest's `input.shape`:
 * `x = ((pixel / scale) - mean[c]) / std[c]`. A 3-channel image for a 1-channel model becomes gray by
 * ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B, rounded); a gray image for a 3-channel model is copied into
 * every channel. INVALID_ARGUMENT (`image_size_mismatch`, `image_channels_unsupported`, `buffer_too_small`)
 * when the image does not fit.
 */
export function normalizeInput(spec: InputSpec, image: PixelImage, options: NormalizeOptions = {}): Float32Array {
  const [C, H, W] = spec.shape;
  const { width, height, channels, data } = image;
  if (width !== W || height !== H) {
    throw new MeshError(Code.InvalidArgument, `image is ${width}x${height}, the model takes ${W}x${H}`, { type: 'image_size_mismatch' });
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new MeshError(Code.InvalidArgument, `image has ${channels} channels, expected 1, 3 or 4`, { type: 'image_channels_unsupported' });
  }
  if (data.length !== width * height * channels) {
    throw new MeshError(Code.InvalidArgument, `image data has ${data.length} values, ${width}x${height}x${channels} needs ${width * height * channels}`, {
      type: 'image_size_mismatch',
    });
  }
  const plane = H * W;
  const offset = options.offset ?? 0;
  const out = options.out ?? new Float32Array(C * plane);
  if (out.length < offset + C * plane) {
    throw new MeshError(Code.InvalidArgument, `output buffer has ${out.length} elements, needs ${offset + C * plane}`, { type: 'buffer_too_small' });
  }
  let tables = tableCache.get(spec);
  if (tables === undefined) {
    tables = lookupTables(spec);
    tableCache.set(spec, tables);
  }
  const planar = image.layout === 'chw';
  // Index of channel k of pixel i in `data`.
  const at = planar ? (i: number, k: number) => k * plane + i : (i: number, k: number) => i * channels + k;
  for (let c = 0; c < C; c++) {
    const table = tables[c]!;
    const mean = spec.mean[c]!;
    const std = spec.std[c]!;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) {
      let p: number;
      if (channels === 1) p = data[at(i, 0)]!;
      else if (C === 1) p = Math.round(0.299 * data[at(i, 0)]! + 0.587 * data[at(i, 1)]! + 0.114 * data[at(i, 2)]!);
      else p = data[at(i, c)]!;
      out[base + i] = Number.isInteger(p) && p >= 0 && p <= 255 ? table[p]! : (p / spec.scale - mean) / std;
    }
  }
  return out;
}
