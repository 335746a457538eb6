import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Manifest } from '../manifest-schema.js';
import { encodeOnnxModel } from './onnx-model.js';
import type { OnnxInitializer, OnnxNode } from './onnx-model.js';

export interface TinyRepositoryOptions {
  /** @default 'tiny' */
  readonly name?: string;
  /** @default '1' */
  readonly version?: string;
  /** Input side (square, 1 channel, even). @default 8 */
  readonly size?: number;
  /** @default 10 */
  readonly classes?: number;
}

/** Deterministic weights in [-0.5, 0.5) from a small LCG. */
function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Flatten + Gemm: `from` [N, d...] -> logits [N, classes]. */
function classifier(
  from: string,
  inFeatures: number,
  classes: number,
  seed: number,
): { nodes: OnnxNode[]; initializers: OnnxInitializer[] } {
  return {
    nodes: [
      { op: 'Flatten', inputs: [from], outputs: ['flat'], attributes: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'W', 'B'], outputs: ['logits'] },
    ],
    initializers: [
      { name: 'W', dims: [inFeatures, classes], values: weights(inFeatures * classes, seed) },
      { name: 'B', dims: [classes], values: weights(classes, seed + 1) },
    ],
  };
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * Writes a tiny but real model repository (manifest + ONNX files that onnxruntime runs) into `dir`, for
 * tests of everything that reads repositories before a trained one is at hand. Input [1,S,S]; partitions:
 * `rb1` (2x2 average pool + ReLU: featureShape [1,S/2,S/2], s=2) and `rb2` (ReLU(x) and ReLU(-x) stacked:
 * featureShape [2,S,S]); each tail and the full network are Flatten + Gemm with fixed pseudo-random
 * weights. Accuracy figures in the manifest are placeholders. Returns the manifest it wrote.
 */
export async function writeTinyRepository(
  dir: string,
  options: TinyRepositoryOptions = {},
): Promise<Manifest> {
  const S = options.size ?? 8;
  const K = options.classes ?? 10;
  const half = S / 2;
  const input = { name: 'input', shape: ['N', 1, S, S] };
  const files: Record<string, Buffer> = {};

  const full = classifier('input', S * S, K, 1);
  files['full.onnx'] = encodeOnnxModel({
    ...full,
    inputs: [input],
    outputs: [{ name: 'logits', shape: ['N', K] }],
  });

  files['rb1/head.onnx'] = encodeOnnxModel({
    nodes: [
      {
        op: 'AveragePool',
        inputs: ['input'],
        outputs: ['pooled'],
        attributes: { kernel_shape: [2, 2], strides: [2, 2] },
      },
      { op: 'Relu', inputs: ['pooled'], outputs: ['features'] },
    ],
    inputs: [input],
    outputs: [{ name: 'features', shape: ['N', 1, half, half] }],
  });
  const t1 = classifier('features', half * half, K, 3);
  files['rb1/tail.onnx'] = encodeOnnxModel({
    ...t1,
    inputs: [{ name: 'features', shape: ['N', 1, half, half] }],
    outputs: [{ name: 'logits', shape: ['N', K] }],
  });

  files['rb2/head.onnx'] = encodeOnnxModel({
    nodes: [
      { op: 'Relu', inputs: ['input'], outputs: ['pos'] },
      { op: 'Neg', inputs: ['input'], outputs: ['negated'] },
      { op: 'Relu', inputs: ['negated'], outputs: ['neg'] },
      { op: 'Concat', inputs: ['pos', 'neg'], outputs: ['features'], attributes: { axis: 1 } },
    ],
    inputs: [input],
    outputs: [{ name: 'features', shape: ['N', 2, S, S] }],
  });
  const t2 = classifier('features', 2 * S * S, K, 5);
  files['rb2/tail.onnx'] = encodeOnnxModel({
    ...t2,
    inputs: [{ name: 'features', shape: ['N', 2, S, S] }],
    outputs: [{ name: 'logits', shape: ['N', K] }],
  });

  for (const [f, b] of Object.entries(files)) {
    await mkdir(dirname(join(dir, f)), { recursive: true });
    await writeFile(join(dir, f), b);
  }
  const ref = (file: string) => ({ file, sha256: sha256(files[file]!) });
  const manifest: Manifest = {
    schemaVersion: 1,
    name: options.name ?? 'tiny',
    version: options.version ?? '1',
    description: 'Test fixture written by @bottlenet/model-repo/testing (untrained weights).',
    input: { shape: [1, S, S], mean: [0.5], std: [0.25], scale: 255 },
    classes: Array.from({ length: K }, (_, i) => `class-${i}`),
    baselineAccuracy: 0.5,
    full: ref('full.onnx'),
    codec: { kind: 'jpeg', quality: 20, bits: 8 },
    partitions: [
      {
        id: 'rb1',
        block: 1,
        channels: 1,
        spatialFactor: 2,
        featureShape: [1, half, half],
        head: ref('rb1/head.onnx'),
        tail: ref('rb1/tail.onnx'),
        accuracy: 0.5,
        meanBytes: 40,
        training: { method: 'fixture' },
      },
      {
        id: 'rb2',
        block: 2,
        channels: 2,
        spatialFactor: 1,
        featureShape: [2, S, S],
        head: ref('rb2/head.onnx'),
        tail: ref('rb2/tail.onnx'),
        accuracy: 0.5,
        meanBytes: 90,
        training: { method: 'fixture' },
      },
    ],
    trainCommand: 'none (fixture)',
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
