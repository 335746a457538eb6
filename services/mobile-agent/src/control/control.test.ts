import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';
import { MobileLoadMeter } from './mobile-load.js';

test('backoff doubles up to the cap and resets on success', () => {
  const b = new Backoff(100, 1000, () => 1);
  assert.deepEqual([b.fail(), b.fail(), b.fail(), b.fail(), b.fail()], [100, 200, 400, 800, 1000]);
  assert.equal(b.consecutiveFailures, 5);
  b.succeed();
  assert.equal(b.fail(), 100);
  assert.equal(new Backoff(100, 1000, () => 0).fail(), 50);
});

test('mobile load counts other work, not the agent itself', () => {
  let machine = { busy: 0, total: 0 };
  let own = 0;
  const m = new MobileLoadMeter(
    1,
    () => machine,
    () => own,
  );
  machine = { busy: 600, total: 1000 }; // 60 % busy, of which the agent used 200 ms
  own = 200_000;
  assert.ok(Math.abs(m.sample() - 0.4) < 1e-9);
  machine = { busy: 600, total: 2000 };
  assert.equal(m.sample(), 0);
  assert.ok(new MobileLoadMeter().sample() >= 0);
});
