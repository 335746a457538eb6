import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { Code, MeshError } from '@bottlenet/errors';
import { loadModelRepository, openSession, normalizeInput, topK } from './index.js';
import type { ModelRepository, OpenedSession } from './index.js';
import { writeTinyRepository } from './testing/index.js';

let root: string;
let repo: ModelRepository;
const opened: OpenedSession[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-repo-ort-'));
  await writeTinyRepository(join(root, 'tiny'));
  repo = await loadModelRepository(join(root, 'tiny'));
});
after(async () => {
  for (const s of opened) await s.session.release();
  await rm(root, { recursive: true, force: true });
});

async function open(...args: Parameters<typeof openSession>): Promise<OpenedSession> {
  const s = await openSession(...args);
  opened.push(s);
  return s;
}

/** A batch of `n` 8x8 gray images with pixel (b, i) = (37 * i + 11 * b) % 256. */
function batch(n: number): Float32Array {
  const out = new Float32Array(n * 64);
  for (let b = 0; b < n; b++) {
    const data = Uint8Array.from({ length: 64 }, (_, i) => (37 * i + 11 * b) % 256);
    normalizeInput(
      repo.manifest.input,
      { data, width: 8, height: 8, channels: 1 },
      { out, offset: b * 64 },
    );
  }
  return out;
}

test('full, heads and tails open and run with a dynamic batch', async () => {
  const x = new Tensor('float32', batch(3), [3, 1, 8, 8]);
  const full = await open(repo, 'full');
  assert.deepEqual([full.inputName, full.outputName], ['input', 'logits']);
  const logits = (await full.session.run({ input: x })).logits!;
  assert.deepEqual(logits.dims, [3, 10]);

  for (const id of repo.partitionIds) {
    const head = await open(repo, { partition: id, part: 'head' });
    const tail = await open(repo, { partition: id, part: 'tail' });
    assert.deepEqual(head.outputShape, repo.partition(id).featureShape);
    const f = (await head.session.run({ input: x })).features!;
    assert.deepEqual(f.dims, [3, ...repo.partition(id).featureShape]);
    const y = (await tail.session.run({ features: f })).logits!;
    assert.deepEqual(y.dims, [3, 10]);
    const scores = topK(y.data as Float32Array, repo.manifest.classes, 3, { offset: 10 });
    assert.equal(scores.length, 3);
    assert.ok(scores[0]!.score >= scores[1]!.score);
  }
});

test('rb1 head computes 2x2 average pool + ReLU of the normalised input', async () => {
  const head = await open(repo, { partition: 'rb1', part: 'head' });
  const xs = batch(1);
  const f = (await head.session.run({ input: new Tensor('float32', xs, [1, 1, 8, 8]) })).features!
    .data as Float32Array;
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) {
      const at = (y: number, x: number) => xs[y * 8 + x]!;
      const want = Math.max(
        0,
        (at(2 * r, 2 * c) +
          at(2 * r, 2 * c + 1) +
          at(2 * r + 1, 2 * c) +
          at(2 * r + 1, 2 * c + 1)) /
          4,
      );
      assert.ok(
        Math.abs(f[r * 4 + c]! - want) < 1e-5,
        `feature (${r},${c}) = ${f[r * 4 + c]}, want ${want}`,
      );
    }
});

test('an unknown partition is NOT_FOUND', async () => {
  await assert.rejects(
    openSession(repo, { partition: 'rb7', part: 'tail' }),
    (e: unknown) =>
      e instanceof MeshError && e.code === Code.NotFound && e.type === 'partition_unknown',
  );
});

async function tamperedRepo(
  name: string,
  edit: (m: Record<string, unknown>, dir: string) => Promise<void> | void,
): Promise<ModelRepository> {
  const dir = join(root, name);
  await writeTinyRepository(dir);
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  await edit(m, dir);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  return loadModelRepository(dir);
}

test('an ONNX file whose shape disagrees with the manifest is FAILED_PRECONDITION model_mismatch', async () => {
  const bad = await tamperedRepo('shape', (m) => {
    const p = (m.partitions as Array<Record<string, unknown>>)[0]!;
    p.featureShape = [1, 3, 3];
  });
  await assert.rejects(
    openSession(bad, { partition: 'rb1', part: 'head' }),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.FailedPrecondition &&
      e.type === 'model_mismatch' &&
      /output "features" has shape \[N,1,4,4\], the manifest implies \[N,1,3,3\]/.test(e.message),
  );
});

test('an ONNX file onnxruntime cannot parse is FAILED_PRECONDITION session_create_failed', async () => {
  const bad = await tamperedRepo('garbage', async (m, dir) => {
    const junk = Buffer.from('this is not an onnx model');
    await writeFile(join(dir, 'full.onnx'), junk);
    (m.full as Record<string, unknown>).sha256 = createHash('sha256').update(junk).digest('hex');
  });
  await assert.rejects(
    openSession(bad, 'full'),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.FailedPrecondition &&
      e.type === 'session_create_failed' &&
      /cannot open full of tiny/.test(e.message),
  );
});
