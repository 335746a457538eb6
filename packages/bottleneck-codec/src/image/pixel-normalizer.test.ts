import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecErrorType, isCodecError } from '../frame/frame-error.js';
import { nativeJpeg } from '../internal/native.js';
import { mulberry32 } from '../testing/index.js';
import { PixelNormalizer, lookupToPlanes } from './pixel-normalizer.js';

/** Each value computed on its own, as the contract writes it (float64, rounded to float32). */
function direct(px: Uint8Array, mean: number[], std: number[], scale: number): Float32Array {
  const ch = mean.length;
  const plane = px.length / ch;
  const out = new Float32Array(px.length);
  for (let c = 0; c < ch; c++)
    for (let i = 0; i < plane; i++)
      out[c * plane + i] = (px[i * ch + c]! / scale - mean[c]!) / std[c]!;
  return out;
}

const specs = [
  { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], scale: 255 },
  { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 255 },
  { mean: [0.286], std: [0.353], scale: 255 },
  { mean: [0.1, 0.2, 0.3, 0.4], std: [0.5, 0.6, 0.7, -0.8], scale: 1 },
];

test('native pass, TypeScript twin and the per-value formula give the same bits (every pixel value, odd sizes, offsets, views)', () => {
  const rnd = mulberry32(7);
  assert.equal(typeof nativeJpeg().normalize, 'function', 'the addon has normalize (rebuild it)');
  for (const spec of specs) {
    const n = new PixelNormalizer(spec);
    const ch = spec.mean.length;
    for (const plane of [256, 1, 3, 5, 112 * 112 + 3]) {
      const backing = new Uint8Array(plane * ch + 1);
      for (let i = 0; i < backing.length; i++)
        backing[i] = i < 256 * ch ? i / ch : (rnd() * 256) | 0;
      for (const px of [backing.subarray(0, plane * ch), backing.subarray(1)]) {
        const want = direct(px, spec.mean, spec.std, spec.scale);
        const out = new Float32Array(px.length + 5).fill(Number.NaN);
        n.toChw(px, out, 5);
        assert.deepEqual(out.subarray(5), want);
        assert.ok(Number.isNaN(out[4]!), 'nothing written before the offset');
        const twin = new Float32Array(px.length);
        lookupToPlanes(px, ch, n.tables, twin, 0);
        assert.deepEqual(twin, want);
      }
    }
  }
});

test('bad pixel counts, outputs and specs are specific codec errors', () => {
  const n = new PixelNormalizer(specs[0]!);
  assert.throws(
    () => n.toChw(new Uint8Array(10), new Float32Array(10)),
    (e: unknown) =>
      isCodecError(e, CodecErrorType.BadImage) &&
      /not a whole number of 3-channel/.test((e as Error).message),
  );
  assert.throws(
    () => n.toChw(new Uint8Array(12), new Float32Array(12), 1),
    (e: unknown) =>
      isCodecError(e, CodecErrorType.OutputTooSmall) &&
      /12 values at offset 1 of a 12-value/.test((e as Error).message),
  );
  assert.throws(
    () => new PixelNormalizer({ mean: [0.5, 0.5], std: [0.2] }),
    (e: unknown) =>
      isCodecError(e, CodecErrorType.BadOptions) && /2 means and 1 stds/.test((e as Error).message),
  );
  assert.throws(
    () => new PixelNormalizer({ mean: [0.5], std: [0] }),
    (e: unknown) =>
      isCodecError(e, CodecErrorType.BadOptions) && /std non-zero/.test((e as Error).message),
  );
  assert.throws(
    () => new PixelNormalizer({ mean: [0.5], std: [1], scale: 0 }),
    (e: unknown) =>
      isCodecError(e, CodecErrorType.BadOptions) && /scale 0/.test((e as Error).message),
  );
});
