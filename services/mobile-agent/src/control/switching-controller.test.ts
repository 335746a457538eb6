import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SwitchingController } from './switching-controller.js';

const s = (id: string, latencyMs: number, energyMj = latencyMs) => ({ id, latencyMs, energyMj });

test('switches only past the hysteresis, only between requests', () => {
  let t = 0;
  const c = new SwitchingController({
    objective: 'latency',
    minGain: 0.2,
    minHoldMs: 1000,
    initial: 'cloud-only',
    now: () => t,
  });
  assert.equal(c.acquire(), 'cloud-only');
  let d = c.propose([s('rb1', 90), s('cloud-only', 100)], 'periodic');
  assert.equal(d.next, 'cloud-only');
  assert.match(d.why, /below the 20% hysteresis/);
  d = c.propose([s('rb1', 50), s('cloud-only', 100)], 'periodic');
  assert.equal(d.next, 'rb1');
  assert.equal(c.currentCandidate, 'cloud-only', 'a request in flight keeps its candidate');
  assert.equal(c.acquire(), 'rb1');
  assert.equal(c.switchCount, 1);
  t = 500;
  d = c.propose([s('mobile-only', 10), s('rb1', 50)], 'slow request');
  assert.match(d.why, /held only 500 ms/);
  assert.equal(c.acquire(), 'rb1');
  t = 1600;
  assert.equal(c.propose([s('mobile-only', 10), s('rb1', 50)], 'periodic').next, 'mobile-only');
  assert.equal(c.acquire(), 'mobile-only');
});

test('an ineligible current candidate is left at once, and a reverted proposal cancels', () => {
  let t = 0;
  const c = new SwitchingController({
    objective: 'energy',
    minGain: 0.5,
    minHoldMs: 10_000,
    initial: 'rb2',
    now: () => t,
  });
  c.acquire();
  t = 1;
  const d = c.propose([s('mobile-only', 100, 100)], 'gateway unreachable');
  assert.equal(d.next, 'mobile-only');
  assert.equal(d.gain, 1);
  c.propose([s('rb2', 1, 1), s('mobile-only', 100, 100)], 'periodic');
  assert.equal(c.pendingCandidate, undefined);
  assert.equal(c.acquire(), 'rb2');
  assert.equal(c.switchCount, 0);
  assert.equal(c.propose([], 'x').next, 'rb2');
});
