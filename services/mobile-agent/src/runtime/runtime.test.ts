import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MeshError } from '@bottlenet/errors';
import { decodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { OnnxModelRuntime, createAgentCodec, encodePnm, topK } from './index.js';

const repoDir = fileURLToPath(new URL('../../../../models/fmnist-tiny', import.meta.url));

interface Reference {
  shape: [number, number, number, number];
  pixels: number[];
  tolerance: number;
  full: { logits: number[][] };
  partitions: Record<string, { featuresShape: number[]; featuresSum: number[] }>;
}

test('heads and the full network reproduce the PyTorch reference', async (t) => {
  const rt = await OnnxModelRuntime.open(repoDir);
  t.after(() => rt.close());
  const ref = JSON.parse(readFileSync(`${repoDir}/reference.json`, 'utf8')) as Reference;
  const [n, c, h, w] = ref.shape;
  for (let i = 0; i < n; i++) {
    const pixels = Uint8Array.from(ref.pixels.slice(i * c * h * w, (i + 1) * c * h * w));
    const x = rt.normalise({ pixels, width: w, height: h, channels: c as 1 });
    const logits = await rt.runFull(x);
    ref.full.logits[i]!.forEach((v, k) => assert.ok(Math.abs(v - logits[k]!) < 1e-3, `logit ${k}`));
    for (const [id, r] of Object.entries(ref.partitions)) {
      const f = await rt.runHead(id, x);
      const sum = f.reduce((a, b) => a + b, 0);
      assert.ok(
        Math.abs(sum - r.featuresSum[i]!) < 1e-2 * Math.max(1, Math.abs(r.featuresSum[i]!)),
        `${id} features sum`,
      );
    }
  }
  await assert.rejects(
    rt.runHead('rb9', new Float32Array(784)),
    (e: unknown) => e instanceof MeshError && /no head for partition "rb9"/.test(e.message),
  );
  assert.equal(topK(Float32Array.from([0, 3, 1]), ['a', 'b', 'c'], 2)[0]!.label, 'b');
});

test('codec adapter decodes PNM and JPEG and rejects junk with a clear error', () => {
  const codec = createAgentCodec();
  const img = {
    pixels: new Uint8Array(28 * 28).map((_, i) => i % 251),
    width: 28,
    height: 28,
    channels: 1 as const,
  };
  assert.deepEqual(codec.decodeImage(encodePnm(img), 1).pixels, img.pixels);
  const jpeg = codec.encodeImage(img, 90);
  const back = codec.decodeImage(jpeg, 1);
  assert.equal(back.width, 28);
  assert.equal(codec.decodeImage(encodePnm(img), 3).channels, 3);
  assert.throws(
    () => codec.decodeImage(Buffer.from('hello world'), 1),
    /neither a JPEG nor a binary PGM\/PPM/,
  );
  assert.throws(
    () => codec.decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0x00, 1, 2]), 1),
    /could not be decoded/,
  );
  assert.throws(() => codec.decodeImage(Buffer.from('P5\n28 28\n255\nxx'), 1), /needs 784 bytes/);
  const features = new Float32Array(2 * 7 * 7).map((_, i) => Math.sin(i) * 3);
  const at = (quality: number) => ({
    featureShape: [2, 7, 7],
    codec: { kind: 'jpeg', quality, bits: 8 },
  });
  const q20 = decodeFeatureFrame(codec.encodeFeatures(features, at(20)));
  const q80 = decodeFeatureFrame(codec.encodeFeatures(features, at(80)));
  // each partition's own codec settings reach the frame
  assert.equal(q20.quality, 20);
  assert.equal(q80.quality, 80);
  assert.deepEqual(q20.shape, [2, 7, 7]);
});

test('a reused input buffer is read afresh on every run (cached feeds)', async (t) => {
  const rt = await OnnxModelRuntime.open(repoDir);
  t.after(() => rt.close());
  const [c, h, w] = rt.model.inputShape;
  const img = (v: number) => ({
    pixels: new Uint8Array(c * h * w).fill(v),
    width: w,
    height: h,
    channels: c as 1,
  });
  const x = new Float32Array(rt.inputLength);
  const first = Array.from(await rt.runFull(rt.normalise(img(0), x)));
  const second = Array.from(await rt.runFull(rt.normalise(img(255), x)));
  assert.notDeepEqual(first, second);
  assert.deepEqual(
    Array.from(await rt.runFull(rt.normalise(img(255), new Float32Array(rt.inputLength)))),
    second,
  );
  assert.deepEqual(Array.from(await rt.runFull(rt.normalise(img(0), x))), first);
});
