import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ewma } from './ewma.js';
import { PartitionStats } from './partition-stats.js';

test('ewma starts at the first sample and moves by alpha', () => {
  const e = new Ewma(0.5);
  assert.equal(e.value(7), 7);
  assert.equal(e.hasValue, false);
  e.update(10);
  assert.equal(e.value(), 10);
  e.update(20);
  assert.equal(e.value(), 15);
});

test('partition stats keep per-batch-size service times and a wait estimate', () => {
  const s = new PartitionStats(1);
  s.recordBatch(4, 2, 0.5);
  s.recordBatch(8, 3, 1);
  s.recordCompleted(12);
  const snap = s.snapshot();
  assert.equal(snap.ewmaServiceMs, 3);
  assert.equal(snap.ewmaBatchSize, 8);
  assert.equal(snap.ewmaQueueMs, 1);
  assert.equal(snap.completedTotal, 12);
  assert.deepEqual(
    [...snap.serviceMsByBatchSize],
    [
      [4, 2],
      [8, 3],
    ],
  );
  // 9 queued + this one with batches of 8: two batches of 3 ms.
  assert.equal(s.expectedWaitMs(9, 8), 6);
});

test('an idle partition reports what a lone batch takes, not the congested average', () => {
  let t = 0;
  const s = new PartitionStats(1, 2000, () => t);
  s.recordBatch(1, 2, 0);
  s.recordBatch(32, 26, 5);
  assert.equal(s.ewmaServiceMs, 26);
  t = 1999;
  assert.equal(s.snapshot().ewmaServiceMs, 26);
  t = 2001;
  assert.equal(s.ewmaServiceMs, 2);
  assert.equal(s.snapshot().ewmaServiceMs, 2);
  s.recordBatch(8, 9, 1);
  assert.equal(s.ewmaServiceMs, 9);
});

test('a warm-up run seeds the idle service time until a real batch of that size replaces it', () => {
  let t = 0;
  const s = new PartitionStats(0.5, 2000, () => t);
  assert.equal(s.ewmaServiceMs, 0);
  s.seedIdleService(4);
  assert.equal(s.ewmaServiceMs, 4, 'reported before any request');
  const snap = s.snapshot();
  assert.equal(snap.ewmaBatchSize, 0, 'a seed is not a batch');
  assert.equal(snap.completedTotal, 0);
  s.recordBatch(1, 2, 0);
  assert.equal(s.ewmaServiceMs, 2);
  t = 5000;
  assert.equal(
    s.ewmaServiceMs,
    2,
    'the real lone run replaced the seed instead of averaging with it',
  );
  s.seedIdleService(40);
  assert.equal(s.ewmaServiceMs, 2, 'a later seed does not override measurements');
});

test('an idle probe replaces the idle service time left over from a congestion', () => {
  let t = 0;
  const s = new PartitionStats(0.5, 2000, () => t);
  s.seedIdleService(2);
  // congestion: lone runs shared the CPU and took 9 ms
  for (let i = 0; i < 5; i++) s.recordBatch(1, 9, 3);
  assert.equal(s.idleProbeDue(5000), false, 'not while batches run');
  t = 2500;
  assert.ok(s.ewmaServiceMs > 8, 'idle: the stale congested lone time is reported');
  assert.equal(s.idleProbeDue(5000), true);
  s.recordIdleProbe(2.5);
  assert.equal(s.ewmaServiceMs, 2.5, 'the probe replaced it outright');
  const snap = s.snapshot();
  assert.equal(snap.completedTotal, 0, 'a probe is not a request');
  assert.equal(snap.ewmaQueueMs, 3, 'nor a batch');
  assert.equal(s.idleProbeDue(5000), false, 'one probe per period');
  t = 7600;
  assert.equal(s.idleProbeDue(5000), true);
  s.recordBatch(1, 3, 0);
  assert.equal(s.idleProbeDue(5000), false, 'traffic again: no probe');
});
