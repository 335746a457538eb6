import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PAPER_TABLE5_CLOUD_ONLY_MS,
  UPLINK_PRESETS,
  candidatesFromManifest,
  paperResNet50,
  selectPartition,
  uplinkPreset,
  uploadPowerMw,
} from './index.js';

const { manifest, profiles } = paperResNet50();
const candidates = candidatesFromManifest(manifest, profiles);

test('the candidate set is cloud-only, RB1..RB16, mobile-only', () => {
  assert.deepEqual(
    candidates.map((c) => c.id),
    ['cloud-only', ...Array.from({ length: 16 }, (_, i) => `rb${i + 1}`), 'mobile-only'],
  );
});

test('Table 3: upload power PU = alpha_u * t_u + beta with t_u the throughput in Mbps', () => {
  assert.equal(Math.round(uploadPowerMw(uplinkPreset('3g')) * 100) / 100, 1773.76);
  assert.equal(Math.round(uploadPowerMw(uplinkPreset('4g')) * 100) / 100, 3852.62);
  assert.equal(Math.round(uploadPowerMw(uplinkPreset('wifi')) * 100) / 100, 5479.11);
});

for (const network of UPLINK_PRESETS) {
  for (const objective of ['latency', 'energy'] as const) {
    test(`paper check: ${network}, ${objective} -> RB1`, () => {
      const s = selectPartition({ candidates, uplink: uplinkPreset(network), objective });
      assert.equal(s.chosen.id, 'rb1');
      assert.ok(s.runnerUp !== undefined && s.runnerUp.id !== 'rb1');
    });
  }
  test(`paper check: cloud-only latency on ${network} matches Table 5 within 5%`, () => {
    const s = selectPartition({ candidates, uplink: uplinkPreset(network), objective: 'latency' });
    const cloudOnly = s.predictions.find((p) => p.id === 'cloud-only')!;
    const expected = PAPER_TABLE5_CLOUD_ONLY_MS[network];
    const err = Math.abs(cloudOnly.latencyMs - expected) / expected;
    assert.ok(
      err < 0.05,
      `cloud-only ${cloudOnly.latencyMs.toFixed(2)} ms vs Table 5 ${expected} ms (${(err * 100).toFixed(1)}%)`,
    );
  });
}
