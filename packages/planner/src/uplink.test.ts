import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { transferMs, uplinkPreset, type UplinkPresetName } from './index.js';

test('presets carry the paper numbers and no round trip unless given', () => {
  assert.deepEqual(uplinkPreset('4g'), {
    name: '4g',
    bandwidthMbps: 5.85,
    rttMs: 0,
    alphaMwPerMbps: 438.39,
    betaMw: 1288.04,
  });
  const measured = uplinkPreset('wifi', { rttMs: 12, bandwidthMbps: 9 });
  assert.equal(measured.rttMs, 12);
  assert.equal(measured.bandwidthMbps, 9);
  assert.equal(measured.alphaMwPerMbps, 283.17);
});

test('transfer time is bits over throughput', () => {
  assert.equal(transferMs(1100 / 8, uplinkPreset('3g')), 1);
  assert.ok(Math.abs(transferMs(26766, uplinkPreset('3g')) - 194.66) < 0.01);
});

test('an unknown preset is InvalidArgument naming it', () => {
  assert.throws(
    () => uplinkPreset('5g' as UplinkPresetName),
    (e: unknown) =>
      e instanceof MeshError && e.code === Code.InvalidArgument && e.rawMessage.includes('"5g"'),
  );
});
