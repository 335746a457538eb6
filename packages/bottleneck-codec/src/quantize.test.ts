import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dequantize,
  isCodecError,
  CodecErrorType,
  quantize,
  levelToPixelTable,
  pixelToLevelTable,
} from './index.js';
import { mulberry32 } from './testing/index.js';

test('quantize follows eq. 1 exactly (float64 from float32, round half up, clamped)', () => {
  const data = Float32Array.from([-1, -0.5, 0, 0.25, 1]);
  const { q, min, max } = quantize(data, 2);
  assert.equal(min, -1);
  assert.equal(max, 1);
  // levels 3: (f+1) * 1.5 + 0.5 floored
  assert.deepEqual([...q], [0, 1, 2, 2, 3]);
  const f = dequantize(q, 2, min, max);
  assert.deepEqual(
    [...f],
    [-1, -1 + 2 / 3, -1 + 4 / 3, -1 + 4 / 3, 1].map((v) => Math.fround(v)),
  );
});

test('every n in 1..8: levels in range, quantize(dequantize(q)) == q, error within half a step', () => {
  const rnd = mulberry32(7);
  for (let bits = 1; bits <= 8; bits++) {
    const data = Float32Array.from({ length: 500 }, () => (rnd() - 0.3) * 10);
    const { q, min, max } = quantize(data, bits);
    const levels = (1 << bits) - 1;
    assert.ok(q.every((v) => v <= levels));
    assert.ok(q.includes(0) && q.includes(levels), `bits ${bits}: extremes map to 0 and levels`);
    const f = dequantize(q, bits, min, max);
    const step = (max - min) / levels;
    for (let i = 0; i < data.length; i++)
      assert.ok(Math.abs(f[i]! - data[i]!) <= step / 2 + 1e-5, `bits ${bits} i ${i}`);
    const again = quantize(f, bits);
    assert.deepEqual(again.q, q, `bits ${bits}: re-quantizing the dequantized values is exact`);
  }
});

test('a constant tensor quantizes to 0 and dequantizes to its value without dividing by zero', () => {
  const data = new Float32Array(49).fill(3.25);
  const { q, min, max } = quantize(data, 4);
  assert.equal(min, 3.25);
  assert.equal(max, 3.25);
  assert.ok(q.every((v) => v === 0));
  assert.ok(dequantize(q, 4, min, max).every((v) => v === 3.25));
});

test('pixel mapping is an exact inverse for every n', () => {
  for (let bits = 1; bits <= 8; bits++) {
    const toPixel = levelToPixelTable(bits);
    const toLevel = pixelToLevelTable(bits);
    for (let q = 0; q < 1 << bits; q++) assert.equal(toLevel[toPixel[q]!], q);
    assert.equal(toPixel[(1 << bits) - 1], 255);
  }
});

test('bad bits and non-finite input are typed errors', () => {
  assert.throws(
    () => quantize(new Float32Array(4), 0),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
  assert.throws(
    () => quantize(new Float32Array(4), 9),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
  assert.throws(
    () => quantize(new Float32Array(4), 2.5),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
  assert.throws(
    () => quantize(Float32Array.from([1, NaN]), 8),
    (e) => isCodecError(e, CodecErrorType.NonFiniteInput),
  );
  assert.throws(
    () => quantize(Float32Array.from([1, -Infinity]), 8),
    (e) => isCodecError(e, CodecErrorType.NonFiniteInput),
  );
  assert.throws(
    () => quantize(new Float32Array(0), 8),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
});
