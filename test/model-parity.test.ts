// Every shipped model repository's ONNX files (full network, every partition's head + tail) run in
// onnxruntime-node give the logits PyTorch computed on the same inputs (models/<name>/reference.json,
// written by training/bottlenet_train/export.py), max abs diff < 1e-4, without the codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const modelsDir = new URL('../models/', import.meta.url).pathname;

interface Manifest {
  name: string;
  input: { shape: [number, number, number]; mean: number[]; std: number[]; scale: number };
  full: { file: string };
  partitions: {
    id: string;
    featureShape: number[];
    head: { file: string };
    tail: { file: string };
  }[];
}
interface Reference {
  shape: [number, number, number, number];
  pixels: number[];
  tolerance: number;
  full: { logits: number[][] };
  partitions: Record<string, { featuresShape: number[]; logits: number[][] }>;
}

function normalise(ref: Reference, m: Manifest): Float32Array {
  const [n, c, h, w] = ref.shape;
  const out = new Float32Array(n * c * h * w);
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / (h * w)) % c;
    // float32 maths, as PyTorch did: (p / 255 - mean) / std
    const x = Math.fround(ref.pixels[i]! / m.input.scale);
    out[i] = Math.fround(
      Math.fround(x - Math.fround(m.input.mean[ch]!)) / Math.fround(m.input.std[ch]!),
    );
  }
  return out;
}

function maxAbsDiff(got: Float32Array, want: number[][]): number {
  const flat = want.flat();
  assert.equal(got.length, flat.length, 'logits size');
  let d = 0;
  for (let i = 0; i < flat.length; i++) d = Math.max(d, Math.abs(got[i]! - flat[i]!));
  return d;
}

async function run(file: string, name: string, tensor: ort.Tensor): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(file);
  try {
    const out = await session.run({ [name]: tensor });
    return Object.values(out)[0]!;
  } finally {
    await session.release();
  }
}

const repos = existsSync(modelsDir)
  ? readdirSync(modelsDir).filter((d) => existsSync(join(modelsDir, d, 'reference.json')))
  : [];

test('at least one shipped repository has reference logits', () => {
  assert.ok(repos.length > 0, `no models/*/reference.json under ${modelsDir}`);
});

for (const repo of repos) {
  test(`ONNX logits match PyTorch: ${repo}`, async () => {
    const dir = join(modelsDir, repo);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
    const input = new ort.Tensor('float32', normalise(ref, m), ref.shape);
    const full = await run(join(dir, m.full.file), 'input', input);
    assert.ok(
      maxAbsDiff(full.data as Float32Array, ref.full.logits) < ref.tolerance,
      `${repo} full`,
    );
    for (const p of m.partitions) {
      const want = ref.partitions[p.id];
      assert.ok(want, `reference for partition ${p.id}`);
      const features = await run(join(dir, p.head.file), 'input', input);
      assert.deepEqual(features.dims.slice(1), p.featureShape, `${p.id} feature shape`);
      const logits = await run(join(dir, p.tail.file), 'features', features);
      const d = maxAbsDiff(logits.data as Float32Array, want.logits);
      assert.ok(d < ref.tolerance, `${repo} ${p.id}: max abs diff ${d}`);
    }
  });
}
