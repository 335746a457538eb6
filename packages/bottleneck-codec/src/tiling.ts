import { CodecErrorType, codecError } from './frame/frame-error.js';
import { nativeIfBuilt } from './internal/native.js';

/** A feature shape `[channels, height, width]`. */
export type FeatureShape = readonly [c: number, h: number, w: number];

/** Where the channels of a feature go in the tiled grayscale image. */
export interface TileGrid {
  /** Tiles across: `2^ceil(L/2)` with `L = ceil(log2(c))`. */
  cols: number;
  /** Tiles down: `2^floor(L/2)`. */
  rows: number;
}

/** A tiled grayscale image, row-major, one byte per pixel. */
export interface TiledImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * The tile grid for `c` channels. The paper's `2^ceil(log2(c)/2) x 2^floor(log2(c)/2)` holds fewer
 * than `c` tiles when `c` is not a power of two (8 tiles for c = 10), so `log2(c)` is rounded up
 * first: `L = ceil(log2(c))`, and the grid always holds every channel (c = 10 -> 4 x 4).
 */
export function tileGrid(c: number): TileGrid {
  if (!Number.isInteger(c) || c < 1 || c > 65535) {
    throw codecError(
      CodecErrorType.BadOptions,
      `channel count must be an integer in 1..65535, got ${String(c)}`,
    );
  }
  let l = 0;
  while (1 << l < c) l++;
  return { cols: 1 << Math.ceil(l / 2), rows: 1 << Math.floor(l / 2) };
}

/** Width and height of the tiled image of `shape`. */
export function tiledSize(shape: FeatureShape): { width: number; height: number } {
  const [c, h, w] = shape;
  const g = tileGrid(c);
  return { width: g.cols * w, height: g.rows * h };
}

/**
 * Lays the `c x h x w` values (CHW order) out as one image: channel k at tile row `floor(k/cols)`,
 * tile column `k % cols`; unused tiles are 0. `map` (a 256-entry table) is applied to each value on
 * the way, e.g. level -> pixel.
 */
export function tile(
  values: Uint8Array,
  shape: FeatureShape,
  out?: Uint8Array,
  map?: Uint8Array,
): TiledImage {
  const [c, h, w] = shape;
  checkShape(shape, values.length);
  const { width, height } = tiledSize(shape);
  const n = width * height;
  const pixels = out ?? new Uint8Array(n);
  if (pixels.length < n)
    throw codecError(CodecErrorType.BadOptions, 'tile output buffer is too small');
  // The addon's loop when it is built (one call); the TypeScript loop below is the same layout.
  if (nativeIfBuilt()?.tile(values, c, h, w, pixels, map) === 0) return { pixels, width, height };
  tileLoop(values, shape, pixels, width, height, map);
  return { pixels, width, height };
}

/** The TypeScript tiling loop (the addon's twin; tests compare the two). */
export function tileLoop(
  values: Uint8Array,
  shape: FeatureShape,
  pixels: Uint8Array,
  width: number,
  height: number,
  map?: Uint8Array,
): void {
  const [c, h, w] = shape;
  const { cols } = tileGrid(c);
  if (c !== (width / w) * (height / h)) pixels.fill(0, 0, width * height);
  for (let k = 0; k < c; k++) {
    const base = Math.floor(k / cols) * h * width + (k % cols) * w;
    const src = k * h * w;
    for (let y = 0; y < h; y++) {
      const d = base + y * width;
      const s = src + y * w;
      if (map) for (let x = 0; x < w; x++) pixels[d + x] = map[values[s + x]!]!;
      else pixels.set(values.subarray(s, s + w), d);
    }
  }
}

/** Inverse of {@link tile}: reads the channels back in CHW order, optionally mapping each pixel. */
export function untile(
  pixels: Uint8Array,
  shape: FeatureShape,
  out?: Uint8Array,
  map?: Uint8Array,
): Uint8Array {
  const [c, h, w] = shape;
  checkShape(shape);
  const { width, height } = tiledSize(shape);
  if (pixels.length < width * height) {
    throw codecError(
      CodecErrorType.BadOptions,
      `untile needs ${width * height} pixels, got ${pixels.length}`,
    );
  }
  const values = out ?? new Uint8Array(c * h * w);
  if (nativeIfBuilt()?.untile(pixels, c, h, w, values, map) === 0) return values;
  untileLoop(pixels, shape, values, width, map);
  return values;
}

/** The TypeScript untiling loop (the addon's twin; tests compare the two). */
export function untileLoop(
  pixels: Uint8Array,
  shape: FeatureShape,
  values: Uint8Array,
  width: number,
  map?: Uint8Array,
): void {
  const [c, h, w] = shape;
  const { cols } = tileGrid(c);
  for (let k = 0; k < c; k++) {
    const base = Math.floor(k / cols) * h * width + (k % cols) * w;
    const dst = k * h * w;
    for (let y = 0; y < h; y++) {
      const s = base + y * width;
      const d = dst + y * w;
      if (map) for (let x = 0; x < w; x++) values[d + x] = map[pixels[s + x]!]!;
      else values.set(pixels.subarray(s, s + w), d);
    }
  }
}

/** Validates a shape (positive integer dims up to 65535) and, when given, the element count. */
export function checkShape(shape: FeatureShape, length?: number): number {
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw codecError(CodecErrorType.BadOptions, 'shape must be [channels, height, width]');
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1 || d > 65535) {
      throw codecError(
        CodecErrorType.BadOptions,
        `shape ${shape.join('x')} has a dimension outside 1..65535`,
      );
    }
  }
  const n = shape[0] * shape[1] * shape[2];
  if (length !== undefined && length !== n) {
    throw codecError(
      CodecErrorType.BadOptions,
      `shape ${shape.join('x')} needs ${n} values, got ${length}`,
    );
  }
  return n;
}
