import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, unlink, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, MeshError } from '@bottlenet/errors';
import {
  loadModelRepository,
  loadModelRepositories,
  findModelRepositories,
  partitionCodec,
  validateManifest,
} from './index.js';
import { writeTinyRepository } from './testing/index.js';
import type { Manifest } from './index.js';

let root: string;
let good: string;
let manifest: Manifest;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-repo-'));
  good = join(root, 'tiny');
  manifest = await writeTinyRepository(good);
});
after(() => rm(root, { recursive: true, force: true }));

/** A copy of the good repository with `edit` applied to its manifest (or files). */
async function variant(
  name: string,
  edit: (m: Record<string, unknown>, dir: string) => Promise<void> | void,
): Promise<string> {
  const dir = join(root, name);
  await cp(good, dir, { recursive: true });
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  await edit(m, dir);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

async function rejects(p: Promise<unknown>, code: Code, type: string, text: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MeshError, `expected MeshError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.type, type, e.message);
    assert.match(e.message, text);
    return true;
  });
}

const clone = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
const parts = (m: Record<string, unknown>) => m.partitions as Array<Record<string, unknown>>;

function invalid(m: unknown, text: RegExp): void {
  assert.throws(
    () => validateManifest(m),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.InvalidArgument &&
      e.type === 'manifest_invalid' &&
      text.test(e.message),
  );
}

test('a good repository loads, verified, frozen, with absolute file paths', async () => {
  const repo = await loadModelRepository(good);
  assert.equal(repo.manifest.name, 'tiny');
  assert.deepEqual(repo.partitionIds, ['rb1', 'rb2']);
  assert.equal(repo.partition('rb2').channels, 2);
  assert.equal(repo.filePath({ partition: 'rb1', part: 'tail' }), join(good, 'rb1/tail.onnx'));
  assert.equal(repo.filePath('full'), join(good, 'full.onnx'));
  assert.ok(Object.isFrozen(repo.manifest.partitions[0]));
  assert.throws(() => {
    repo.manifest.input.mean[0] = 1;
  }, TypeError);
});

test('unknown partition id is NOT_FOUND naming the known ones', async () => {
  const repo = await loadModelRepository(good);
  assert.throws(
    () => repo.partition('rb9'),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.NotFound &&
      e.type === 'partition_unknown' &&
      /"rb9".*rb1, rb2/.test(e.message),
  );
  assert.throws(
    () => repo.filePath({ partition: 'cloud', part: 'head' }),
    (e: unknown) => e instanceof MeshError && e.code === Code.NotFound,
  );
});

test('missing folder and missing manifest are NOT_FOUND', async () => {
  await rejects(
    loadModelRepository(join(root, 'nope')),
    Code.NotFound,
    'manifest_missing',
    /no model repository at .*nope.*ENOENT/,
  );
  const dir = await variant('no-manifest', () => undefined);
  await unlink(join(dir, 'manifest.json'));
  await rejects(loadModelRepository(dir), Code.NotFound, 'manifest_missing', /manifest\.json/);
});

test('bad JSON is INVALID_ARGUMENT manifest_bad_json', async () => {
  const dir = await variant('bad-json', () => undefined);
  await writeFile(join(dir, 'manifest.json'), '{"schemaVersion": 1,');
  await rejects(
    loadModelRepository(dir),
    Code.InvalidArgument,
    'manifest_bad_json',
    /manifest\.json: not valid JSON/,
  );
});

test('a missing field is named by its path', async () => {
  const dir = await variant('missing-tail', (m) => {
    delete parts(m)[1]!.tail;
  });
  await rejects(
    loadModelRepository(dir),
    Code.InvalidArgument,
    'manifest_invalid',
    /missing field partitions\[1\]\.tail/,
  );
  const m = clone();
  delete m.classes;
  invalid(m, /missing field classes/);
});

test('a wrong type or range is named by its path', () => {
  const a = clone();
  a.baselineAccuracy = 'high';
  invalid(a, /baselineAccuracy must be number/);
  const b = clone();
  (b.input as Record<string, unknown>).shape = [1, 8];
  invalid(b, /input\.shape/);
  const c = clone();
  (c.codec as Record<string, unknown>).bits = 9;
  invalid(c, /codec\.bits must be <= 8/);
  const d = clone();
  d.schemaVersion = 2;
  invalid(d, /schemaVersion must be equal to constant/);
  const e = clone();
  parts(e)[0]!.accuracy = 1.5;
  invalid(e, /partitions\[0\]\.accuracy must be <= 1/);
});

test("a partition's own codec is validated and overrides the manifest's", () => {
  const a = clone();
  parts(a)[0]!.codec = { kind: 'jpeg', quality: 101, bits: 8 };
  invalid(a, /partitions\[0\]\.codec\.quality must be <= 100/);
  const b = clone();
  parts(b)[0]!.codec = { kind: 'jpeg', bits: 8 };
  invalid(b, /missing field partitions\[0\]\.codec\.quality/);
  const c = clone();
  parts(c)[0]!.codec = { kind: 'jpeg', quality: 12, bits: 8 };
  const m = validateManifest(c);
  assert.equal(partitionCodec(m, m.partitions[0]!).quality, 12);
  assert.deepEqual(partitionCodec(m, m.partitions[1]!), m.codec);
});

test('an unknown top-level field is rejected; nested extra keys are allowed', () => {
  const m = clone();
  m.trainComand = 'typo';
  invalid(m, /unknown field trainComand/);
  const n = clone();
  (n.full as Record<string, unknown>).note = 'extra';
  validateManifest(n);
});

test('a malformed sha256 is rejected by the schema', () => {
  const m = clone();
  (parts(m)[0]!.head as Record<string, unknown>).sha256 = 'ABC';
  invalid(m, /partitions\[0\]\.head\.sha256 must match pattern/);
});

test('reserved and duplicate partition ids, channel and per-channel mismatches', () => {
  const a = clone();
  parts(a)[0]!.id = 'cloud';
  invalid(a, /partitions\[0\]\.id must not be one of the reserved ids/);
  const b = clone();
  parts(b)[1]!.id = 'rb1';
  invalid(b, /partitions\[1\]\.id "rb1" is used twice/);
  const c = clone();
  parts(c)[0]!.channels = 3;
  invalid(c, /partitions\[0\]\.featureShape\[0\] is 1, channels is 3/);
  const d = clone();
  (d.input as Record<string, unknown>).mean = [0.5, 0.5];
  invalid(d, /input\.mean has 2 values, input\.shape\[0\] is 1/);
});

test('a checksum mismatch is FAILED_PRECONDITION naming the file', async () => {
  const dir = await variant('bad-sha', async (_m, d) => {
    const f = join(d, 'rb2/tail.onnx');
    const b = await readFile(f);
    b[b.length - 1] = b.at(-1)! ^ 0xff;
    await writeFile(f, b);
  });
  await rejects(
    loadModelRepository(dir),
    Code.FailedPrecondition,
    'checksum_mismatch',
    /partitions\[1\]\.tail\.file "rb2\/tail\.onnx" has sha256 [0-9a-f]{64}, the manifest says/,
  );
  // ... and loads when checksums are not verified.
  await loadModelRepository(dir, { verifyChecksums: false });
});

test('a missing ONNX file is NOT_FOUND naming the field', async () => {
  const dir = await variant('missing-onnx', async (_m, d) => unlink(join(d, 'full.onnx')));
  await rejects(
    loadModelRepository(dir),
    Code.NotFound,
    'model_file_missing',
    /full\.file "full\.onnx" does not exist/,
  );
});

test('a file path outside the repository is rejected', async () => {
  const dir = await variant('escape', (m) => {
    (m.full as Record<string, unknown>).file = '../tiny/full.onnx';
  });
  await rejects(
    loadModelRepository(dir),
    Code.InvalidArgument,
    'manifest_invalid',
    /full\.file "\.\.\/tiny\/full\.onnx" must be a path inside/,
  );
});

test('findModelRepositories lists folders with a manifest', async () => {
  const only = await mkdtemp(join(tmpdir(), 'model-repos-'));
  try {
    await writeTinyRepository(join(only, 'a'), { name: 'a' });
    await writeTinyRepository(join(only, 'b'), { name: 'b', version: '2' });
    await writeFile(join(only, 'README'), 'not a repo');
    assert.deepEqual(await findModelRepositories(only), [join(only, 'a'), join(only, 'b')]);
    const repos = await loadModelRepositories(only);
    assert.deepEqual(
      repos.map((r) => `${r.manifest.name}@${r.manifest.version}`),
      ['a@1', 'b@2'],
    );
    await rejects(
      findModelRepositories(join(only, 'none')),
      Code.NotFound,
      'repository_root_missing',
      /cannot list/,
    );
  } finally {
    await rm(only, { recursive: true, force: true });
  }
});
