import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlanCache } from './plan-cache.js';

const reply = (fields: Record<string, unknown>): string => JSON.stringify(fields);

test('a stored reply is served for the same body and view, with generatedAtMs filled in wherever it is', () => {
  const cache = new PlanCache({ maxEntries: 4, maxKeyBytes: 4096 });
  // fast-json-stringify writes optional fields (runnerUp) after the required ones: generatedAtMs is
  // then not the last field (the cache missed every plan with a runner-up before this was handled).
  const json = reply({
    model: 'm',
    chosen: { candidateId: 'rb1' },
    generatedAtMs: 0,
    runnerUp: { candidateId: '"generatedAtMs":0' },
  });
  const entry = cache.set('{"a":1}', 7, json, false);
  assert.ok(entry !== undefined);
  const hit = cache.get('{"a":1}', 7);
  assert.equal(hit, entry);
  assert.deepEqual(JSON.parse(hit.reply(1234)), { ...JSON.parse(json), generatedAtMs: 1234 });
  assert.equal(cache.get('{"a":1}', 8), undefined, 'another view version misses');
  assert.equal(cache.get('{"a": 1}', 7), undefined, 'keyed by the exact text');
  assert.deepEqual([cache.hits, cache.misses], [1, 2]);
  const last = reply({ model: 'm', generatedAtMs: 0 });
  const parsed = JSON.parse(cache.set('b', 1, last, true)!.reply(5)) as { generatedAtMs: number };
  assert.equal(parsed.generatedAtMs, 5);
});

test('not cached: no generatedAtMs field, a body over the key limit, or caching off; the oldest entry goes first', () => {
  const cache = new PlanCache({ maxEntries: 2, maxKeyBytes: 8 });
  assert.equal(cache.set('a', 1, reply({ model: 'm' }), false), undefined);
  assert.equal(cache.set('a', 1, reply({ generatedAtMs: 10 }), false), undefined);
  assert.equal(cache.set('123456789', 1, reply({ generatedAtMs: 0 }), false), undefined);
  const off = new PlanCache({ maxEntries: 0, maxKeyBytes: 8 });
  assert.equal(off.set('a', 1, reply({ generatedAtMs: 0 }), false), undefined);
  for (const k of ['a', 'b', 'c']) cache.set(k, 1, reply({ generatedAtMs: 0 }), false);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('a', 1), undefined);
  assert.ok(cache.get('c', 1) !== undefined);
});
