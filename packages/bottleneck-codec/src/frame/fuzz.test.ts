import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzDecoders } from '../testing/index.js';

test('fuzz: 4,000 random and mutated frames and images give only typed errors, never hang', () => {
  const report = fuzzDecoders(4000, 20260101);
  assert.equal(report.inputs, 4000);
  assert.ok(Object.keys(report.byType).length >= 6, JSON.stringify(report.byType));
  assert.ok(report.slowestMs < 250, `slowest input took ${report.slowestMs} ms`);
});
