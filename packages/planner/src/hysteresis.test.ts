import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { Hysteresis, type Prediction, type Selection } from './index.js';

/** A latency selection from predicted latencies per id (orders follow the listing). */
function sel(latencies: Record<string, number>): Selection {
  const predictions: Prediction[] = Object.entries(latencies).map(([id, ms], order) => ({
    id,
    kind: 'split',
    order,
    mobileMs: ms,
    uploadMs: 0,
    cloudMs: 0,
    latencyMs: ms,
    energyMj: 0,
  }));
  const ranked = [...predictions].sort((a, b) => a.latencyMs - b.latencyMs);
  return { objective: 'latency', chosen: ranked[0]!, runnerUp: ranked[1], predictions };
}

test('takes the first choice, keeps it while it stays best', () => {
  const h = new Hysteresis();
  assert.deepEqual(h.update(sel({ a: 10, b: 20 }), 0), {
    id: 'a',
    switched: true,
    reason: 'initial',
    gain: 0,
  });
  assert.equal(h.update(sel({ a: 10, b: 20 }), 1).reason, 'kept');
  assert.equal(h.current, 'a');
});

test('a small gain does not switch; a real gain switches after the confirmations', () => {
  const h = new Hysteresis({ minRelativeGain: 0.1, confirmations: 2 });
  h.update(sel({ a: 10, b: 20 }), 0);
  assert.equal(h.update(sel({ a: 10, b: 9.5 }), 1).reason, 'small_gain');
  const first = h.update(sel({ a: 10, b: 8 }), 2);
  assert.deepEqual([first.id, first.switched, first.reason], ['a', false, 'pending']);
  assert.ok(Math.abs(first.gain - 2) < 1e-12);
  const second = h.update(sel({ a: 10, b: 8 }), 3);
  assert.deepEqual([second.id, second.switched, second.reason], ['b', true, 'switched']);
});

test('a challenger that is interrupted starts its count again', () => {
  const h = new Hysteresis({ confirmations: 2 });
  h.update(sel({ a: 10, b: 20, c: 30 }), 0);
  assert.equal(h.update(sel({ a: 10, b: 5, c: 30 }), 1).reason, 'pending');
  assert.equal(h.update(sel({ a: 10, b: 20, c: 30 }), 2).reason, 'kept');
  assert.equal(h.update(sel({ a: 10, b: 5, c: 30 }), 3).reason, 'pending');
  assert.equal(h.update(sel({ a: 10, b: 20, c: 5 }), 4).reason, 'pending'); // c is a new challenger
  assert.equal(h.update(sel({ a: 10, b: 20, c: 5 }), 5).reason, 'switched');
});

test('the dwell time spaces switches; an absolute gain floor applies', () => {
  const h = new Hysteresis({ confirmations: 1, minDwellMs: 1000, minAbsoluteGain: 3 });
  h.update(sel({ a: 10, b: 20 }), 0);
  assert.equal(h.update(sel({ a: 10, b: 8 }), 10).reason, 'small_gain'); // 2 < 3 ms
  assert.equal(h.update(sel({ a: 10, b: 5 }), 500).reason, 'dwell');
  assert.equal(h.update(sel({ a: 10, b: 5 }), 1000).reason, 'switched');
  assert.equal(h.update(sel({ a: 1, b: 5 }), 1500).reason, 'dwell');
});

test('switches at once when the current candidate is gone', () => {
  const h = new Hysteresis({ confirmations: 5, minDwellMs: 1e9 });
  h.update(sel({ a: 10, b: 20 }), 0);
  assert.deepEqual(h.update(sel({ b: 20 }), 1), {
    id: 'b',
    switched: true,
    reason: 'current_unavailable',
    gain: 0,
  });
  h.reset();
  assert.equal(h.current, undefined);
  assert.equal(h.update(sel({ a: 1, b: 20 }), 2).reason, 'initial');
});

test('noise around a tie never flaps', () => {
  const h = new Hysteresis();
  h.update(sel({ a: 10, b: 10.2 }), 0);
  let switches = 0;
  for (let i = 1; i < 1000; i++) {
    const noise = Math.sin(i * 12.9898) * 0.5; // +-5%: under the 10% gain
    if (h.update(sel({ a: 10 + noise, b: 10 - noise }), i).switched) switches++;
  }
  assert.equal(switches, 0);
});

test('bad options are InvalidArgument naming the option', () => {
  assert.throws(
    () => new Hysteresis({ minRelativeGain: -1 }),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.InvalidArgument &&
      e.rawMessage.includes('minRelativeGain'),
  );
});
