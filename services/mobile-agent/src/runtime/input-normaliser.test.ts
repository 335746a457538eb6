import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError } from '@bottlenet/errors';
import { normalizeInput, type InputSpec } from '@bottlenet/model-repo';
import { InputNormaliser } from './input-normaliser.js';
import type { ImageInput } from './types.js';

const rgb: InputSpec = {
  shape: [3, 12, 12],
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  scale: 255,
};
const grayOdd: InputSpec = { shape: [1, 5, 7], mean: [0.286], std: [0.353], scale: 255 };

function image(w: number, h: number, channels: 1 | 3, seed: number, offset = 0): ImageInput {
  const buf = new Uint8Array(offset + w * h * channels);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 37 + seed * 11) & 255;
  return { pixels: buf.subarray(offset), width: w, height: h, channels };
}

function reference(spec: InputSpec, img: ImageInput): Float32Array {
  return normalizeInput(spec, {
    data: img.pixels,
    width: img.width,
    height: img.height,
    channels: img.channels,
  });
}

test('bit-identical to normalizeInput: colour (aligned and unaligned views, odd planes), gray, and channel conversions', () => {
  const cases: [InputSpec, ImageInput][] = [
    [rgb, image(12, 12, 3, 1)], // aligned view
    [rgb, image(12, 12, 3, 2, 1)], // unaligned view
    [{ ...rgb, shape: [3, 5, 3] }, image(3, 5, 3, 3)], // plane not a multiple of 4
    [grayOdd, image(7, 5, 1, 4)],
    [grayOdd, image(7, 5, 3, 5)], // colour -> gray
    [rgb, image(12, 12, 1, 6)], // gray -> colour
  ];
  for (const [spec, img] of cases) {
    const n = new InputNormaliser(spec);
    const out = new Float32Array(n.length).fill(Number.NaN);
    assert.deepEqual(n.normalise(img, out), reference(spec, img));
    assert.deepEqual(n.normalise(img), reference(spec, img));
  }
});

test('a malformed image gets normalizeInput error', () => {
  const n = new InputNormaliser(rgb);
  assert.throws(
    () => n.normalise(image(10, 12, 3, 1)),
    (e: unknown) => e instanceof MeshError && e.type === 'image_size_mismatch',
  );
  assert.throws(
    () => n.normalise(image(12, 12, 3, 1), new Float32Array(10)),
    (e: unknown) => e instanceof MeshError && e.type === 'buffer_too_small',
  );
});
