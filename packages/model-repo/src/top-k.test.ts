import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { topK } from './index.js';

const classes = ['a', 'b', 'c', 'd', 'e'];

test('best first with softmax scores', () => {
  const r = topK(Float32Array.from([1, 3, 2, 0, -1]), classes, 3);
  assert.deepEqual(
    r.map((s) => s.label),
    ['b', 'c', 'a'],
  );
  const z = [1, 3, 2, 0, -1].reduce((s, v) => s + Math.exp(v), 0);
  assert.ok(Math.abs(r[0]!.score - Math.exp(3) / z) < 1e-12);
});

test('agrees with a full sort on random logits, ties keep the lower index', () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const n = 1 + Math.floor(rand() * 12);
    const logits = Array.from({ length: n }, () => Math.floor(rand() * 5));
    const names = Array.from({ length: n }, (_, i) => String(i));
    const k = 1 + Math.floor(rand() * 6);
    const want = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, k);
    assert.deepEqual(
      topK(logits, names, k).map((s) => s.classIndex),
      want,
      `logits ${logits.join(',')} k=${k}`,
    );
  }
});

test('k is capped at the class count, offset selects a sample of a batch, huge logits stay finite', () => {
  assert.equal(topK([0, 1, 2, 3, 4], classes, 50).length, 5);
  const batched = [0, 0, 0, 0, 0, 5, 1, 1, 1, 1];
  assert.equal(topK(batched, classes, 1, { offset: 5 })[0]!.label, 'a');
  const big = topK([1e4, 1e4 - 1, 0, 0, 0], classes, 2);
  assert.ok(Number.isFinite(big[0]!.score) && big[0]!.score > 0.7);
});

test('bad k and short logits are INVALID_ARGUMENT', () => {
  assert.throws(
    () => topK([1, 2, 3, 4, 5], classes, 0),
    (e: unknown) =>
      e instanceof MeshError && e.code === Code.InvalidArgument && e.type === 'top_k_invalid',
  );
  assert.throws(
    () => topK([1, 2, 3], classes, 1),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.InvalidArgument &&
      e.type === 'logits_short' &&
      /need 5/.test(e.message),
  );
});
