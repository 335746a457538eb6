import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { type Candidate, type PlanInput, selectPartition, uplinkPreset } from './index.js';

const candidates: Candidate[] = [
  {
    id: 'cloud-only',
    kind: 'cloud-only',
    order: 0,
    mobileMs: 0,
    mobilePowerMw: 0,
    cloudMs: 2,
    bytes: 60000,
  },
  {
    id: 'rb1',
    kind: 'split',
    order: 1,
    mobileMs: 4,
    mobilePowerMw: 3000,
    cloudMs: 6,
    bytes: 300,
    accuracy: 0.9,
  },
  {
    id: 'rb2',
    kind: 'split',
    order: 2,
    mobileMs: 8,
    mobilePowerMw: 3000,
    cloudMs: 4,
    bytes: 200,
    accuracy: 0.7,
  },
  {
    id: 'mobile-only',
    kind: 'mobile-only',
    order: 3,
    mobileMs: 30,
    mobilePowerMw: 3000,
    cloudMs: 0,
    bytes: 0,
  },
];
const base: PlanInput = {
  candidates,
  uplink: uplinkPreset('wifi', { rttMs: 5 }),
  objective: 'latency',
};

test('latency prediction is TM + transfer + RTT + TC', () => {
  const s = selectPartition(base);
  const rb1 = s.predictions.find((p) => p.id === 'rb1')!;
  assert.ok(Math.abs(rb1.latencyMs - (4 + (300 * 8) / 18880 + 5 + 6)) < 1e-9);
  const mobile = s.predictions.find((p) => p.id === 'mobile-only')!;
  assert.equal(mobile.latencyMs, 30);
  assert.equal(mobile.uploadMs, 0);
  assert.equal(s.chosen.id, 'rb1');
  assert.equal(s.runnerUp?.id, 'rb2');
  assert.deepEqual(
    s.predictions.map((p) => p.order),
    [0, 1, 2, 3],
  );
});

test('energy is TM*PM + transfer*PU + rtt*beta, in mJ', () => {
  const s = selectPartition({ ...base, objective: 'energy' });
  const rb1 = s.predictions.find((p) => p.id === 'rb1')!;
  const send = (300 * 8) / 18880;
  const expected = (4 * 3000 + send * (283.17 * 18.88 + 132.86) + 5 * 132.86) / 1000;
  assert.ok(Math.abs(rb1.energyMj - expected) < 1e-9);
});

test('cloud load moves the split deeper, then to the device', () => {
  const mild = selectPartition({
    ...base,
    cloudLoad: { queueDepth: 0, inFlight: 12, serviceTimeMs: 5, capacity: 4 },
  });
  assert.equal(mild.chosen.id, 'rb2'); // rb1's longer tail stretches 3x
  const heavy = selectPartition({
    ...base,
    cloudLoad: { queueDepth: 40, inFlight: 8, serviceTimeMs: 5, capacity: 4 },
  });
  assert.equal(heavy.chosen.id, 'mobile-only');
});

test('a busy device moves the choice toward the cloud', () => {
  const s = selectPartition({
    ...base,
    uplink: uplinkPreset('wifi'),
    mobileLoad: { utilisation: 0.9 },
  });
  assert.equal(s.chosen.id, 'cloud-only');
});

test('cloudMsOverride replaces the load model for that candidate', () => {
  const s = selectPartition({ ...base, cloudMsOverride: { rb1: 100 } });
  assert.equal(s.predictions.find((p) => p.id === 'rb1')!.cloudMs, 100);
  assert.equal(s.chosen.id, 'rb2');
});

test('cloud unavailable leaves mobile-only; minAccuracy filters', () => {
  const s = selectPartition({ ...base, cloudAvailable: false });
  assert.equal(s.chosen.id, 'mobile-only');
  assert.equal(s.runnerUp, undefined);
  const acc = selectPartition({
    ...base,
    minAccuracy: 0.8,
    cloudLoad: { queueDepth: 0, inFlight: 12, serviceTimeMs: 5, capacity: 4 },
  });
  assert.ok(!acc.predictions.some((p) => p.id === 'rb2'));
});

test('ties go to the other objective, then to the device', () => {
  const tie: Candidate[] = [
    { id: 'a', kind: 'split', order: 1, mobileMs: 1, mobilePowerMw: 0, cloudMs: 1, bytes: 0 },
    { id: 'b', kind: 'split', order: 2, mobileMs: 1, mobilePowerMw: 0, cloudMs: 1, bytes: 0 },
  ];
  assert.equal(
    selectPartition({ ...base, uplink: uplinkPreset('wifi'), candidates: tie }).chosen.id,
    'b',
  );
});

const rejects = (input: unknown, code: Code, fragment: string) =>
  assert.throws(
    () => selectPartition(input as PlanInput),
    (e: unknown) => e instanceof MeshError && e.code === code && e.rawMessage.includes(fragment),
    fragment,
  );

test('bad input gets a specific error naming what was wrong', () => {
  rejects({ ...base, objective: 'speed' }, Code.InvalidArgument, 'objective');
  rejects(
    { ...base, candidates: [] },
    Code.InvalidArgument,
    'candidates must be a non-empty array',
  );
  rejects({ ...base, uplink: undefined }, Code.InvalidArgument, 'uplink is required');
  rejects(
    { ...base, uplink: { ...base.uplink, bandwidthMbps: 0 } },
    Code.InvalidArgument,
    'uplink.bandwidthMbps',
  );
  rejects({ ...base, uplink: { ...base.uplink, rttMs: -1 } }, Code.InvalidArgument, 'uplink.rttMs');
  rejects(
    { ...base, candidates: [candidates[0], candidates[0]] },
    Code.InvalidArgument,
    'appears twice',
  );
  rejects(
    { ...base, candidates: [{ ...candidates[1], bytes: Number.POSITIVE_INFINITY }] },
    Code.InvalidArgument,
    'candidates[0].bytes',
  );
  rejects(
    { ...base, candidates: [{ ...candidates[1], kind: 'edge' }] },
    Code.InvalidArgument,
    'candidates[0].kind',
  );
  rejects(
    { ...base, candidates: [{ ...candidates[1], id: '' }] },
    Code.InvalidArgument,
    'candidates[0].id',
  );
  rejects({ ...base, minAccuracy: 2 }, Code.InvalidArgument, 'minAccuracy');
  rejects({ ...base, cloudMsOverride: { rb1: -3 } }, Code.InvalidArgument, 'cloudMsOverride.rb1');
  rejects(
    { ...base, cloudLoad: { queueDepth: 1, serviceTimeMs: 1, capacity: -1 } },
    Code.InvalidArgument,
    'cloudLoad.capacity',
  );
  rejects(
    { ...base, candidates: candidates.slice(0, 3), cloudAvailable: false },
    Code.FailedPrecondition,
    'no mobile-only candidate',
  );
  rejects(
    { ...base, minAccuracy: 0.95, candidates: candidates.slice(1, 3) },
    Code.FailedPrecondition,
    'minAccuracy',
  );
});
