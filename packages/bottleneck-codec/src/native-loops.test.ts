import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dequantize,
  levelToPixelTable,
  pixelToLevelTable,
  quantize,
  tile,
  tiledSize,
  untile,
} from './index.js';
import { isCodecError, CodecErrorType } from './frame/frame-error.js';
import { dequantizeInto } from './internal/dequantize-into.js';
import { nativeJpeg } from './internal/native.js';
import { quantizeInto, tensorRange } from './quantize.js';
import { mulberry32 } from './testing/index.js';
import { tileLoop, untileLoop, type FeatureShape } from './tiling.js';

// quantize/dequantize/tile/untile run in the addon when it is built; the TypeScript loops are their
// twins (the fallback, and what the Python side mirrors). Both must give the same bits.

const shapes: FeatureShape[] = [
  [1, 28, 28],
  [2, 28, 28],
  [5, 14, 14],
  [10, 7, 7],
  [3, 5, 7],
  [1, 1, 1],
  [1, 1, 3],
  [7, 3, 1],
];

function features(rnd: () => number, n: number): Float32Array[] {
  const relu = Float32Array.from({ length: n }, () => Math.max(0, rnd() - 0.4) * 7);
  const signed = Float32Array.from({ length: n }, () => (rnd() - 0.5) * 1e3);
  // signed zeros in every position class: the range's zero extreme must keep the sequential scan's sign
  const zeros = Float32Array.from(
    { length: n },
    (_, i) => (rnd() < 0.5 ? -0 : 0) + (i % 5 === 4 ? rnd() : 0),
  );
  const negZeroMax = Float32Array.from(
    { length: n },
    () => (rnd() < 0.5 ? -0 : 0) - (rnd() < 0.3 ? rnd() : 0),
  );
  // extremes away from element 0: positives first, then signed zeros (and negatives first for the max)
  const lead = Math.floor(rnd() * 6) + 1;
  const zerosLater = Float32Array.from({ length: n }, (_, i) =>
    i < lead || rnd() < 0.4 ? 1 + rnd() : rnd() < 0.5 ? -0 : 0,
  );
  const zerosLaterMax = zerosLater.map((v) => (v > 0 ? -v : v));
  const constant = new Float32Array(n).fill(-0.375);
  const tiny = Float32Array.from({ length: n }, () => 1 + (rnd() < 0.5 ? 0 : 1.1920929e-7));
  return [relu, signed, zeros, negZeroMax, zerosLater, zerosLaterMax, constant, tiny];
}

test('native quantize/dequantize equal the TypeScript loops bit for bit (every n, signed zeros, constants)', () => {
  nativeJpeg();
  const rnd = mulberry32(11);
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 31, 784, 1568]) {
    for (const data of Array.from({ length: 6 }, () => features(rnd, n)).flat()) {
      for (let bits = 1; bits <= 8; bits++) {
        const levels = (1 << bits) - 1;
        const { q, min, max } = quantize(data, bits);
        const r = tensorRange(data);
        assert.ok(
          Object.is(min, r.min) && Object.is(max, r.max),
          `n ${n} bits ${bits}: range ${min},${max} vs ${r.min},${r.max}`,
        );
        const qt = new Uint8Array(n);
        quantizeInto(data, 0, n, r.min, r.max, levels, qt);
        assert.deepEqual(q, qt, `n ${n} bits ${bits}: levels`);
        const f = dequantize(q, bits, min, max);
        const ft = new Float32Array(n);
        dequantizeInto(q, bits, min, max, ft, 0);
        assert.deepEqual(
          new Uint32Array(f.buffer),
          new Uint32Array(ft.buffer),
          `n ${n} bits ${bits}: floats`,
        );
      }
    }
  }
});

test('native quantize works on views (offset subarrays) and flags NaN/Inf anywhere', () => {
  const rnd = mulberry32(5);
  const big = Float32Array.from({ length: 1000 }, () => rnd() * 3 - 1);
  const view = big.subarray(13, 13 + 777);
  const { q, min, max } = quantize(view, 8);
  const qt = new Uint8Array(777);
  const r = tensorRange(view);
  quantizeInto(view, 0, 777, r.min, r.max, 255, qt);
  assert.deepEqual(q, qt);
  assert.ok(Object.is(min, r.min) && Object.is(max, r.max));
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const at of [0, 1, 3, 4, 7, 8, 500, 776]) {
      const d = Float32Array.from(view);
      d[at] = bad;
      assert.throws(
        () => quantize(d, 8),
        (e: unknown) => isCodecError(e, CodecErrorType.NonFiniteInput),
        `${bad} at ${at}`,
      );
    }
  }
});

test('native tile/untile equal the TypeScript loops (every shape, maps of every n, identity map)', () => {
  const rnd = mulberry32(3);
  for (const shape of shapes) {
    const [c, h, w] = shape;
    const n = c * h * w;
    const { width, height } = tiledSize(shape);
    for (let bits = 1; bits <= 8; bits++) {
      const levels = (1 << bits) - 1;
      const q = Uint8Array.from({ length: n }, () => Math.floor(rnd() * (levels + 1)));
      for (const map of [undefined, levelToPixelTable(bits)]) {
        const img = tile(q, shape, new Uint8Array(width * height).fill(99), map);
        const ref = new Uint8Array(width * height).fill(99);
        tileLoop(q, shape, ref, width, height, map);
        assert.deepEqual(img.pixels, ref, `${shape.join('x')} bits ${bits} tile`);
        const back = untile(
          img.pixels,
          shape,
          undefined,
          map ? pixelToLevelTable(bits) : undefined,
        );
        const backRef = new Uint8Array(n);
        untileLoop(img.pixels, shape, backRef, width, map ? pixelToLevelTable(bits) : undefined);
        assert.deepEqual(back, backRef, `${shape.join('x')} bits ${bits} untile`);
        assert.deepEqual(back, q, `${shape.join('x')} bits ${bits}: untile(tile(q)) == q`);
      }
    }
  }
});
