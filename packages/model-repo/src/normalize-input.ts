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
export function normalizeInput(
  spec: InputSpec,
  image: PixelImage,
  options: NormalizeOptions = {},
): Float32Array {
  const [C, H, W] = spec.shape;
  const { width, height, channels, data } = image;
  if (width !== W || height !== H) {
    throw new MeshError(
      Code.InvalidArgument,
      `image is ${width}x${height}, the model takes ${W}x${H}`,
      { type: 'image_size_mismatch' },
    );
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new MeshError(
      Code.InvalidArgument,
      `image has ${channels} channels, expected 1, 3 or 4`,
      { type: 'image_channels_unsupported' },
    );
  }
  if (data.length !== width * height * channels) {
    throw new MeshError(
      Code.InvalidArgument,
      `image data has ${data.length} values, ${width}x${height}x${channels} needs ${width * height * channels}`,
      {
        type: 'image_size_mismatch',
      },
    );
  }
  const plane = H * W;
  const offset = options.offset ?? 0;
  const out = options.out ?? new Float32Array(C * plane);
  if (out.length < offset + C * plane) {
    throw new MeshError(
      Code.InvalidArgument,
      `output buffer has ${out.length} elements, needs ${offset + C * plane}`,
      { type: 'buffer_too_small' },
    );
  }
  let tables = tableCache.get(spec);
  if (tables === undefined) {
    tables = lookupTables(spec);
    tableCache.set(spec, tables);
  }
  const planar = image.layout === 'chw';
  const bytes = data instanceof Uint8Array || data instanceof Uint8ClampedArray;
  for (let c = 0; c < C; c++) {
    // Where channel `src` of pixel i sits in `data`: data[first + i * step].
    const src = channels === 1 ? 0 : c;
    const first = planar ? src * plane : src;
    const step = planar ? 1 : channels;
    const base = offset + c * plane;
    if (channels !== 1 && C === 1) {
      grayFromColor(tables[0]!, spec, data, planar, channels, plane, out, base);
    } else if (bytes) {
      lookup(tables[c]!, data, first, step, plane, out, base);
    } else {
      const table = tables[c]!;
      const mean = spec.mean[c]!;
      const std = spec.std[c]!;
      for (let i = 0, j = first; i < plane; i++, j += step) {
        const p = data[j]!;
        out[base + i] =
          (p | 0) === p && p >= 0 && p <= 255 ? table[p]! : (p / spec.scale - mean) / std;
      }
    }
  }
  return out;
}

/** BT.601 luma of R, G, B (rounded), then the 1-channel normalisation. */
function grayFromColor(
  table: Float32Array,
  spec: InputSpec,
  data: ArrayLike<number>,
  planar: boolean,
  channels: number,
  plane: number,
  out: Float32Array,
  base: number,
): void {
  const g0 = planar ? plane : 1;
  const b0 = planar ? 2 * plane : 2;
  const step = planar ? 1 : channels;
  const mean = spec.mean[0]!;
  const std = spec.std[0]!;
  for (let i = 0, j = 0; i < plane; i++, j += step) {
    const p = Math.round(0.299 * data[j]! + 0.587 * data[j + g0]! + 0.114 * data[j + b0]!);
    out[base + i] = p >= 0 && p <= 255 ? table[p]! : (p / spec.scale - mean) / std;
  }
}

/** The hot loop for 8-bit pixels, kept small and monomorphic so V8 optimises it well. */
function lookup(
  table: Float32Array,
  data: Uint8Array | Uint8ClampedArray,
  first: number,
  step: number,
  n: number,
  out: Float32Array,
  base: number,
): void {
  for (let i = 0, j = first; i < n; i++, j += step) out[base + i] = table[data[j]!]!;
}
