import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asBoolComparisons } from './prometheus.js';

test('alert conditions are rewritten to bool comparisons only', () => {
  assert.equal(asBoolComparisons('x > 64'), 'x > bool 64');
  assert.equal(asBoolComparisons('time() - y > 10'), 'time() - y > bool 10');
  assert.equal(asBoolComparisons('sum(r) < 1 or absent(r)'), 'sum(r) < bool 1 or absent(r)');
  assert.equal(
    asBoolComparisons('a / clamp_min(b, 1e-9) > 0.5 and on() c > 1'),
    'a / clamp_min(b, 1e-9) > bool 0.5 and on() c > bool 1',
  );
  assert.equal(asBoolComparisons('x == bool 0'), 'x == bool 0');
  assert.equal(asBoolComparisons('rate(z{code!="ok"}[5m])'), 'rate(z{code!="ok"}[5m])');
});
