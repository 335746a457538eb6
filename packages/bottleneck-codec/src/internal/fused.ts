import { levelToPixelTable, pixelToLevelTable } from '../quantize.js';
import { tileGrid, type FeatureShape } from '../tiling.js';

/**
 * quantize + level->pixel + tile in one pass over `data` (the same arithmetic as quantize.ts and
 * tiling.ts; `x | 0` equals floor for the non-negative values here). Writes `pixels[0, width*height)`.
 */
export function quantizeToTiles(
  data: Float32Array,
  shape: FeatureShape,
  bits: number,
  min: number,
  max: number,
  pixels: Uint8Array,
  width: number,
  height: number,
): void {
  const [c, h, w] = shape;
  const { cols } = tileGrid(c);
  const levels = (1 << bits) - 1;
  const toPixel = levelToPixelTable(bits);
  if (c < (width / w) * (height / h)) pixels.fill(0, 0, width * height);
  if (!(max > min)) {
    for (let k = 0; k < c; k++) {
      const base = Math.floor(k / cols) * h * width + (k % cols) * w;
      for (let y = 0; y < h; y++) pixels.fill(0, base + y * width, base + y * width + w);
    }
    return;
  }
  const scale = levels / (max - min);
  let s = 0;
  for (let k = 0; k < c; k++) {
    const base = Math.floor(k / cols) * h * width + (k % cols) * w;
    for (let y = 0; y < h; y++) {
      const d = base + y * width;
      for (let x = 0; x < w; x++) {
        let v = ((data[s++]! - min) * scale + 0.5) | 0;
        if (v > levels) v = levels;
        pixels[d + x] = toPixel[v]!;
      }
    }
  }
}

/** untile + pixel->level + dequantize in one pass, into `out[offset, offset + c*h*w)`. */
export function tilesToDequantized(
  pixels: Uint8Array,
  shape: FeatureShape,
  bits: number,
  min: number,
  max: number,
  width: number,
  out: Float32Array,
  offset: number,
): void {
  const [c, h, w] = shape;
  const { cols } = tileGrid(c);
  const toLevel = pixelToLevelTable(bits);
  const step = max > min ? (max - min) / ((1 << bits) - 1) : 0;
  let o = offset;
  for (let k = 0; k < c; k++) {
    const base = Math.floor(k / cols) * h * width + (k % cols) * w;
    for (let y = 0; y < h; y++) {
      const s = base + y * width;
      for (let x = 0; x < w; x++) out[o++] = min + toLevel[pixels[s + x]!]! * step;
    }
  }
}
