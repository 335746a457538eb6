// Model loading: a missing, tampered or invalid repository refuses to start with the reason; a reload of
// a new version drops no request and keeps the previous version reachable.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { TINY_MODEL_DIR, copyRepository, startTestWorker, tinyFrames } from '../testing/index.js';

let frames: Uint8Array[];

before(async () => {
  ({ frames } = await tinyFrames(1));
});

describe('model loading', () => {
  test('a missing repository refuses to start with NOT_FOUND naming the path', async () => {
    await assert.rejects(startTestWorker({ models: ['/nonexistent/model'] }), (e: unknown) => {
      assert.ok(e instanceof MeshError);
      assert.equal(e.code, Code.NotFound);
      assert.match(e.message, /\/nonexistent\/model/);
      return true;
    });
  });

  test('a file whose sha256 differs from the manifest refuses to start', async () => {
    const bad = copyRepository(TINY_MODEL_DIR, (m) => {
      const parts = m['partitions'] as { tail: { sha256: string } }[];
      parts[0]!.tail.sha256 = '0'.repeat(64);
    });
    await assert.rejects(
      startTestWorker({ models: [bad] }),
      (e: unknown) =>
        e instanceof MeshError && e.code === Code.FailedPrecondition && /sha256/.test(e.message),
    );
  });

  test('a manifest with a bad field refuses to start and names the field', async () => {
    const bad = copyRepository(TINY_MODEL_DIR, (m) => {
      m['baselineAccuracy'] = 7;
    });
    await assert.rejects(
      startTestWorker({ models: [bad] }),
      (e: unknown) =>
        e instanceof MeshError &&
        e.code === Code.InvalidArgument &&
        /baselineAccuracy/.test(e.message),
    );
  });

  test('reloading a new version drops no request; the old version stays reachable', async () => {
    const v1 = copyRepository(TINY_MODEL_DIR);
    const v2 = copyRepository(TINY_MODEL_DIR, (m) => {
      m['version'] = '2';
    });
    const w = await startTestWorker({ models: [v1] });
    try {
      const req = {
        model: 'fmnist-tiny',
        partitionId: 'rb1',
        payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(frames[0]!) },
      };
      let stop = false;
      const versions: string[] = [];
      const failures: unknown[] = [];
      const loops = Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            versions.push((await w.client.infer(req)).version);
          } catch (e) {
            failures.push(e);
          }
        }
      });
      await new Promise((r) => setTimeout(r, 50));
      await w.worker.reload([v2]);
      // Keep the load on until a few requests were answered by the new version (a fixed 50 ms was too
      // short on a loaded machine: every reply in it could still come from requests sent before the swap).
      const end = performance.now() + 10_000;
      while (versions.filter((v) => v === '2').length < 8 && performance.now() < end)
        await new Promise((r) => setTimeout(r, 10));
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(failures, []);
      assert.ok(
        versions.includes('1') && versions.at(-1) === '2',
        `versions seen: ${[...new Set(versions)].join(',')}`,
      );
      assert.equal((await w.client.infer({ ...req, version: '1' })).version, '1');
      const served = (await w.client.getLoad()).models.map((m) => m.version);
      assert.deepEqual(served, ['2', '1']);
    } finally {
      await w.stop();
    }
  });
});
