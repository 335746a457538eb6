// The TS schema and the Python writer agree: every repository shipped under models/ loads, verifies and
// opens (full network, every head and tail), and each head feeds its tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from 'onnxruntime-node';
import {
  findModelRepositories,
  loadModelRepository,
  normalizeInput,
  openSession,
} from './index.js';
import type { ModelRepository } from './index.js';

const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models');

test('every shipped model repository loads and its ONNX files match the manifest', async (t) => {
  const dirs = existsSync(modelsDir) ? await findModelRepositories(modelsDir) : [];
  if (dirs.length === 0) {
    t.skip(`no repositories under ${modelsDir} yet`);
    return;
  }
  for (const dir of dirs) {
    await t.test(dir.slice(modelsDir.length + 1), async () => {
      const repo = await loadModelRepository(dir);
      const [C, H, W] = repo.manifest.input.shape;
      const x = new Tensor('float32', new Float32Array(2 * C * H * W), [2, C, H, W]);
      const full = await openSession(repo, 'full');
      try {
        assert.deepEqual((await full.session.run({ input: x })).logits!.dims, [
          2,
          repo.manifest.classes.length,
        ]);
      } finally {
        await full.session.release();
      }
      for (const id of repo.partitionIds) {
        const head = await openSession(repo, { partition: id, part: 'head' });
        const tail = await openSession(repo, { partition: id, part: 'tail' });
        try {
          const f = (await head.session.run({ input: x })).features!;
          assert.deepEqual(f.dims, [2, ...repo.partition(id).featureShape], `${id} head output`);
          assert.deepEqual(
            (await tail.session.run({ features: f })).logits!.dims,
            [2, repo.manifest.classes.length],
            `${id} tail output`,
          );
        } finally {
          await head.session.release();
          await tail.session.release();
        }
      }
    });
  }
});

/** `reference.json` written by the Python exporter: uint8 NCHW pixels and PyTorch's logits (no codec). */
interface Reference {
  shape: [number, number, number, number];
  pixels: number[];
  tolerance: number;
  full: { logits: number[][] };
  partitions: Record<
    string,
    { featuresShape: number[]; featuresSum: number[]; logits: number[][] }
  >;
}

function closeTo(got: ArrayLike<number>, want: number[][], tol: number, what: string): void {
  const flat = want.flat();
  assert.equal(got.length, flat.length, `${what}: length`);
  for (let i = 0; i < flat.length; i++) {
    assert.ok(
      Math.abs(got[i]! - flat[i]!) <= tol * Math.max(1, Math.abs(flat[i]!)),
      `${what}[${i}] = ${got[i]}, PyTorch ${flat[i]}`,
    );
  }
}

async function checkReference(repo: ModelRepository, ref: Reference): Promise<void> {
  const [N, C, H, W] = ref.shape;
  const x = new Float32Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    const data = ref.pixels.slice(n * C * H * W, (n + 1) * C * H * W);
    normalizeInput(
      repo.manifest.input,
      { data, width: W, height: H, channels: C, layout: 'chw' },
      { out: x, offset: n * C * H * W },
    );
  }
  const input = new Tensor('float32', x, [N, C, H, W]);
  const full = await openSession(repo, 'full');
  try {
    closeTo(
      (await full.session.run({ input })).logits!.data as Float32Array,
      ref.full.logits,
      ref.tolerance,
      'full logits',
    );
  } finally {
    await full.session.release();
  }
  for (const [id, want] of Object.entries(ref.partitions)) {
    const head = await openSession(repo, { partition: id, part: 'head' });
    const tail = await openSession(repo, { partition: id, part: 'tail' });
    try {
      const f = (await head.session.run({ input })).features!;
      const per = f.data.length / N;
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let i = 0; i < per; i++) sum += (f.data as Float32Array)[n * per + i]!;
        assert.ok(
          Math.abs(sum - want.featuresSum[n]!) <=
            1e-3 * Math.max(1, Math.abs(want.featuresSum[n]!)),
          `${id} features sum ${sum}, PyTorch ${want.featuresSum[n]}`,
        );
      }
      closeTo(
        (await tail.session.run({ features: f })).logits!.data as Float32Array,
        want.logits,
        ref.tolerance,
        `${id} logits`,
      );
    } finally {
      await head.session.release();
      await tail.session.release();
    }
  }
}

test("TS normalisation + onnxruntime reproduce the Python exporter's reference logits", async (t) => {
  const dirs = existsSync(modelsDir) ? await findModelRepositories(modelsDir) : [];
  const withRef = dirs.filter((d) => existsSync(join(d, 'reference.json')));
  if (withRef.length === 0) {
    t.skip('no shipped repository has a reference.json yet');
    return;
  }
  for (const dir of withRef) {
    await t.test(dir.slice(modelsDir.length + 1), async () => {
      const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
      await checkReference(await loadModelRepository(dir), ref);
    });
  }
});
