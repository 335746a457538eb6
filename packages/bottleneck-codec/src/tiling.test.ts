import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecErrorType, isCodecError, tile, tileGrid, tiledSize, untile } from './index.js';

test('tile grid rounds log2(c) up first so every channel fits', () => {
  const cases: [number, number, number][] = [
    [1, 1, 1],
    [2, 2, 1],
    [3, 2, 2],
    [4, 2, 2],
    [5, 4, 2],
    [8, 4, 2],
    [10, 4, 4],
    [16, 4, 4],
    [17, 8, 4],
    [64, 8, 8],
  ];
  for (const [c, cols, rows] of cases) {
    assert.deepEqual(tileGrid(c), { cols, rows }, `c = ${c}`);
    assert.ok(cols * rows >= c);
  }
  assert.deepEqual(tiledSize([10, 7, 7]), { width: 28, height: 28 });
  assert.deepEqual(tiledSize([3, 5, 7]), { width: 14, height: 10 });
});

test('tile places channel k at (floor(k/cols), k%cols), unused tiles are zero, untile inverts it', () => {
  for (const shape of [
    [1, 28, 28],
    [2, 28, 28],
    [3, 5, 7],
    [5, 14, 14],
    [10, 7, 7],
  ] as const) {
    const [c, h, w] = shape;
    const values = Uint8Array.from({ length: c * h * w }, (_, i) => 1 + (i % 250));
    const img = tile(values, shape);
    const { cols, rows } = tileGrid(c);
    for (let k = 0; k < cols * rows; k++) {
      const ty = Math.floor(k / cols);
      const tx = k % cols;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const p = img.pixels[(ty * h + y) * img.width + tx * w + x]!;
          assert.equal(p, k < c ? values[k * h * w + y * w + x] : 0);
        }
      }
    }
    assert.deepEqual(untile(img.pixels, shape), values);
  }
});

test('tile clears unused tiles of a reused buffer', () => {
  const out = new Uint8Array(14 * 10).fill(9);
  const img = tile(new Uint8Array(3 * 5 * 7).fill(1), [3, 5, 7], out);
  assert.equal(img.pixels[img.width * 10 - 1], 0);
});

test('bad shapes are typed errors', () => {
  assert.throws(
    () => tileGrid(0),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
  assert.throws(
    () => tile(new Uint8Array(10), [1, 2, 4]),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
  assert.throws(
    () => tile(new Uint8Array(0), [0, 2, 4] as never),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
  assert.throws(
    () => untile(new Uint8Array(3), [1, 2, 2]),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
});
