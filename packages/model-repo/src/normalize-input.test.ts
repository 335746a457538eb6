import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { normalizeInput } from './index.js';
import type { InputSpec } from './index.js';

const gray: InputSpec = { shape: [1, 2, 2], mean: [0.286], std: [0.353], scale: 255 };
const rgb: InputSpec = {
  shape: [3, 1, 2],
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  scale: 255,
};
const f32 = (v: number) => Math.fround(v);

test('gray pixels follow ((p / scale) - mean) / std in float32', () => {
  const out = normalizeInput(gray, { data: [0, 128, 255, 7], width: 2, height: 2, channels: 1 });
  assert.deepEqual(
    [...out],
    [0, 128, 255, 7].map((p) => f32((p / 255 - 0.286) / 0.353)),
  );
});

test('non-integer pixels use the formula directly', () => {
  const out = normalizeInput(gray, {
    data: Float32Array.from([0.5, 1.5, 2.5, 300]),
    width: 2,
    height: 2,
    channels: 1,
  });
  assert.equal(out[0], f32((0.5 / 255 - 0.286) / 0.353));
  assert.equal(out[3], f32((300 / 255 - 0.286) / 0.353));
});

test('interleaved RGB becomes planar NCHW; planar input is accepted too', () => {
  const hwc = [10, 20, 30, 40, 50, 60];
  const out = normalizeInput(rgb, { data: hwc, width: 2, height: 1, channels: 3 });
  const want = (p: number, c: number) => f32((p / 255 - rgb.mean[c]!) / rgb.std[c]!);
  assert.deepEqual(
    [...out],
    [want(10, 0), want(40, 0), want(20, 1), want(50, 1), want(30, 2), want(60, 2)],
  );
  const chw = normalizeInput(rgb, {
    data: [10, 40, 20, 50, 30, 60],
    width: 2,
    height: 1,
    channels: 3,
    layout: 'chw',
  });
  assert.deepEqual([...chw], [...out]);
});

test('RGB for a gray model uses BT.601 luma; gray for an RGB model fills every channel; RGBA drops alpha', () => {
  const spec: InputSpec = { shape: [1, 1, 1], mean: [0], std: [1], scale: 255 };
  const y = normalizeInput(spec, { data: [255, 0, 0], width: 1, height: 1, channels: 3 });
  assert.equal(y[0], f32(Math.round(0.299 * 255) / 255));
  const g = normalizeInput(rgb, { data: [100, 200], width: 2, height: 1, channels: 1 });
  assert.equal(g[0], f32((100 / 255 - 0.485) / 0.229));
  assert.equal(g[5], f32((200 / 255 - 0.406) / 0.225));
  const a = normalizeInput(rgb, {
    data: [10, 20, 30, 255, 40, 50, 60, 0],
    width: 2,
    height: 1,
    channels: 4,
  });
  assert.deepEqual(
    [...a],
    [...normalizeInput(rgb, { data: [10, 20, 30, 40, 50, 60], width: 2, height: 1, channels: 3 })],
  );
});

test('writes into a batch buffer at an offset', () => {
  const out = new Float32Array(12);
  normalizeInput(
    gray,
    { data: [255, 255, 255, 255], width: 2, height: 2, channels: 1 },
    { out, offset: 4 },
  );
  assert.deepEqual([...out.subarray(0, 4)], [0, 0, 0, 0]);
  assert.equal(out[4], f32((1 - 0.286) / 0.353));
});

test('wrong size, channel count, data length and a short buffer are INVALID_ARGUMENT', () => {
  const bad = (f: () => unknown, type: string, text: RegExp) =>
    assert.throws(
      f,
      (e: unknown) =>
        e instanceof MeshError &&
        e.code === Code.InvalidArgument &&
        e.type === type &&
        text.test(e.message),
    );
  bad(
    () => normalizeInput(gray, { data: [1, 2, 3, 4, 5, 6], width: 3, height: 2, channels: 1 }),
    'image_size_mismatch',
    /image is 3x2, the model takes 2x2/,
  );
  bad(
    () =>
      normalizeInput(gray, { data: [1, 2, 3, 4, 5, 6, 7, 8], width: 2, height: 2, channels: 2 }),
    'image_channels_unsupported',
    /2 channels/,
  );
  bad(
    () => normalizeInput(gray, { data: [1, 2, 3], width: 2, height: 2, channels: 1 }),
    'image_size_mismatch',
    /has 3 values/,
  );
  bad(
    () =>
      normalizeInput(
        gray,
        { data: [1, 2, 3, 4], width: 2, height: 2, channels: 1 },
        { out: new Float32Array(6), offset: 4 },
      ),
    'buffer_too_small',
    /needs 8/,
  );
});
