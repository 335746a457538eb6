import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeJpeg } from '../internal/native.js';
import { mulberry32 } from '../testing/index.js';
import { scanBounds } from './abbreviated.js';
import { encodeFeatureScanScratch } from './jpeg-native.js';

// native/jpeg-scan.c writes the tables-omitted payload without libjpeg; it must be byte for byte the
// scan of libjpeg-turbo's standard stream (encodeFeature), which the Python side and the decoders agree on.

const shapes: [number, number, number][] = [
  [4, 14, 14],
  [4, 7, 7],
  [8, 4, 4],
  [1, 28, 28],
  [5, 3, 7],
  [1, 1, 1],
  [3, 9, 17],
  [16, 8, 8],
  [64, 16, 16],
];

/** Smooth ReLU-like, checkerboard (the largest AC terms), binary, and signed large-range features. */
function pattern(kind: number, n: number, w: number, rnd: () => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    switch (kind) {
      case 0:
        return rnd() < 0.3 ? 0 : rnd() * 5;
      case 1:
        return ((i + Math.floor(i / w)) % 2) * 9;
      case 2:
        return rnd() < 0.5 ? 0 : 1;
      default:
        return Math.sin(i) * 100;
    }
  });
}

test('the scan encoder writes the scan of libjpeg-turbo stream: every quality, bits, shapes, patterns', () => {
  const native = nativeJpeg();
  assert.equal(
    typeof native.encodeFeatureScan,
    'function',
    'the addon has encodeFeatureScan (rebuild it)',
  );
  const rnd = mulberry32(11);
  const full = new Uint8Array(1 << 20);
  const r1 = new Float64Array(2);
  const r2 = new Float64Array(2);
  let cases = 0;
  for (const [c, h, w] of shapes) {
    for (let q = 1; q <= 100; q++) {
      for (const bits of [8, 3, 1]) {
        const data = pattern((q + bits + c) % 4, c * h * w, w, rnd);
        const len = native.encodeFeature(data, c, h, w, bits, q, full, r1, 0);
        assert.ok(len > 0);
        const sb = scanBounds(full, len)!;
        const scan = encodeFeatureScanScratch(data, [c, h, w], bits, q, r2)!;
        const label = `${c}x${h}x${w} q${q} bits ${bits}`;
        assert.deepEqual(scan, full.subarray(sb.start, sb.end), label);
        assert.deepEqual([...r2], [...r1], label);
        cases++;
      }
    }
  }
  assert.equal(cases, shapes.length * 300);
});

test('scan encoder: constant tensors, non-finite input and bad arguments', () => {
  const native = nativeJpeg();
  const full = new Uint8Array(1 << 16);
  const r = new Float64Array(2);
  for (const v of [0, 3]) {
    const data = new Float32Array(784).fill(v);
    const len = native.encodeFeature(data, 4, 14, 14, 8, 20, full, r, 0);
    const sb = scanBounds(full, len)!;
    assert.deepEqual(
      encodeFeatureScanScratch(data, [4, 14, 14], 8, 20, r),
      full.subarray(sb.start, sb.end),
    );
  }
  assert.throws(
    () => encodeFeatureScanScratch(new Float32Array(784).fill(Number.NaN), [4, 14, 14], 8, 20, r),
    /NaN or an infinity/,
  );
  const out = new Uint8Array(8);
  assert.equal(native.encodeFeatureScan!(new Float32Array(784), 4, 14, 14, 8, 20, out, r), -2); // too small
  assert.equal(native.encodeFeatureScan!(new Float32Array(783), 4, 14, 14, 8, 20, full, r), -1); // wrong length
  assert.equal(native.encodeFeatureScan!(new Float32Array(784), 4, 14, 14, 9, 20, full, r), -1); // bits
  assert.equal(native.encodeFeatureScan!(new Float32Array(784), 4, 14, 14, 8, 101, full, r), -1); // quality
  assert.equal(native.scanBound!(28, 28), 16 * 512 + 8);
});
