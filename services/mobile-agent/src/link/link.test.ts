import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError } from '@bottlenet/errors';
import {
  LINK_PRESETS,
  LinkEmulator,
  UplinkEstimator,
  resolveLinkProfile,
  uploadPowerMw,
} from './index.js';

test('presets carry the paper Table 3 values', () => {
  assert.equal(LINK_PRESETS['3g'].bandwidthMbps, 1.1);
  assert.equal(LINK_PRESETS['4g'].alphaU, 438.39);
  assert.equal(LINK_PRESETS.wifi.beta, 132.86);
  assert.ok(Math.abs(uploadPowerMw(LINK_PRESETS['3g'], 1.1) - 1773.758) < 1e-3);
});

test('paper model drops the RTT, rtt model keeps it, custom borrows the nearest power model', () => {
  assert.equal(resolveLinkProfile({ preset: '3g', model: 'paper' })?.rttMs, 0);
  assert.equal(resolveLinkProfile({ preset: '3g', model: 'rtt' })?.rttMs, 100);
  const c = resolveLinkProfile({ preset: 'custom', bandwidthMbps: 6, rttMs: 30, model: 'rtt' });
  assert.equal(c?.alphaU, LINK_PRESETS['4g'].alphaU);
  assert.equal(c?.rttMs, 30);
  assert.equal(resolveLinkProfile({ preset: 'none' }), undefined);
  assert.throws(() => resolveLinkProfile({ preset: 'lte' }), MeshError);
  assert.throws(() => resolveLinkProfile({ preset: 'custom' }), /bandwidthMbps/);
});

test('emulated uplink takes bytes/bandwidth + rtt/2 and serialises transfers', async () => {
  const link = new LinkEmulator(1.1, 20);
  assert.ok(Math.abs(link.transmitMs(1375) - 10) < 1e-9); // 11000 bits at 1.1 Mbps
  const t0 = performance.now();
  await Promise.all([link.uplink(1375), link.uplink(1375)]);
  const dt = performance.now() - t0;
  assert.ok(dt >= 29 && dt < 60, `two 10 ms transfers + 10 ms latency took ${dt} ms`);
  const t1 = performance.now();
  await link.downlink();
  assert.ok(performance.now() - t1 >= 9);
});

test('a short transfer never arrives before its link allows (timers may fire a millisecond early)', async () => {
  const link = new LinkEmulator(1.1, 0);
  const want = link.transmitMs(155); // 1.13 ms: below a timer tick
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await link.uplink(155);
    const dt = performance.now() - t0;
    assert.ok(dt >= want, `transfer ${i} took ${dt} ms, the link needs ${want} ms`);
    assert.ok(dt < want + 20, `transfer ${i} took ${dt} ms`);
  }
});

test('an abort ends the wait at once', async () => {
  const link = new LinkEmulator(0.01, 0); // 155 bytes: 124 ms
  const signal = Object.assign(new EventEmitter(), {
    aborted: false,
    reason: undefined,
  });
  const t0 = performance.now();
  setTimeout(() => {
    Object.assign(signal, { aborted: true, reason: new Error('deadline') });
    signal.emit('abort');
  }, 10);
  await assert.rejects(link.uplink(155, signal), /deadline/);
  assert.ok(performance.now() - t0 < 100, 'the wait must end with the abort');
});

test('estimator converges on the link it observes', () => {
  const est = new UplinkEstimator(0.5, { bandwidthMbps: 10, rttMs: 0 });
  for (let i = 0; i < 20; i++) est.observeRtt(40);
  assert.ok(Math.abs(est.rttMs! - 40) < 0.01);
  for (let i = 0; i < 20; i++) est.observeTransfer(11000, 40 + 80); // 88 kbit in 80 ms = 1.1 Mbps
  assert.ok(Math.abs(est.bandwidthMbps! - 1.1) < 0.01);
  est.observeTransfer(10, 40.5); // too small to tell, ignored
  est.observeRtt(Number.NaN);
  assert.equal(est.snapshot().bandwidthSamples, 20);
});
