import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from './backoff.js';

test('restart delays double from the initial delay and stop at the cap', () => {
  const o = { initialMs: 100, maxMs: 1000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, o)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.equal(backoffDelayMs(10_000, o), 1000, 'a huge attempt count does not overflow');
  assert.equal(backoffDelayMs(3, { initialMs: 0, maxMs: 1000 }), 0);
});
