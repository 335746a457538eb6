import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { cloudStretch, expectedCloudMs, mobileStretch } from './index.js';

test('an idle cloud adds nothing', () => {
  assert.deepEqual(cloudStretch({ queueDepth: 0, inFlight: 0, serviceTimeMs: 5, capacity: 4 }), {
    waitMs: 0,
    stretch: 1,
    level: 0,
  });
  assert.equal(expectedCloudMs(3, { queueDepth: 0, serviceTimeMs: 5, capacity: 4 }), 3);
});

test('a queue adds its drain time; oversubscription stretches the tail', () => {
  // 8 waiting, 4 served at a time at 5 ms each: 10 ms wait. 8 in flight on 4 lanes: 2x.
  const s = cloudStretch({ queueDepth: 8, inFlight: 8, serviceTimeMs: 5, capacity: 4 });
  assert.deepEqual(s, { waitMs: 10, stretch: 2, level: 4 });
  assert.equal(
    expectedCloudMs(3, { queueDepth: 8, inFlight: 8, serviceTimeMs: 5, capacity: 4 }),
    16,
  );
});

test('mobile utilisation stretches by 1 / (1 - u), capped at 20x', () => {
  assert.equal(mobileStretch({ utilisation: 0 }), 1);
  assert.equal(mobileStretch({ utilisation: 0.5 }), 2);
  assert.ok(Math.abs(mobileStretch({ utilisation: 1 }) - 20) < 1e-9);
});

test('bad load input is InvalidArgument naming the field', () => {
  const named = (field: string) => (e: unknown) =>
    e instanceof MeshError && e.code === Code.InvalidArgument && e.rawMessage.includes(field);
  assert.throws(
    () => cloudStretch({ queueDepth: -1, serviceTimeMs: 1, capacity: 1 }),
    named('cloudLoad.queueDepth'),
  );
  assert.throws(
    () => cloudStretch({ queueDepth: 0, serviceTimeMs: Number.NaN, capacity: 1 }),
    named('cloudLoad.serviceTimeMs'),
  );
  assert.throws(
    () => cloudStretch({ queueDepth: 0, serviceTimeMs: 1, capacity: 0 }),
    named('cloudLoad.capacity'),
  );
  assert.throws(() => mobileStretch({ utilisation: 1.5 }), named('mobileLoad.utilisation'));
});
