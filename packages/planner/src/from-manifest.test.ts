import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { candidatesFromManifest } from './index.js';

const manifest = {
  baselineAccuracy: 0.93,
  partitions: [
    { id: 'rb1', block: 1, meanBytes: 71.3, accuracy: 0.92 },
    { id: 'rb3', block: 3, meanBytes: 40, accuracy: 0.9 },
  ],
};
const split = { mobileMs: 1, mobilePowerMw: 2000, cloudMs: 1 };

test('orders cloud-only, partitions by block, mobile-only past the deepest block', () => {
  const c = candidatesFromManifest(manifest, {
    partitions: { rb1: split, rb3: { ...split, bytes: 55 } },
    cloudOnly: { bytes: 900, cloudMs: 2 },
    mobileOnly: { mobileMs: 9, mobilePowerMw: 2000 },
  });
  assert.deepEqual(
    c.map((x) => [x.id, x.kind, x.order, x.bytes, x.accuracy]),
    [
      ['cloud-only', 'cloud-only', 0, 900, 0.93],
      ['rb1', 'split', 1, 71.3, 0.92],
      ['rb3', 'split', 3, 55, 0.9],
      ['mobile-only', 'mobile-only', 4, 0, 0.93],
    ],
  );
});

test('cloud-only and mobile-only are optional', () => {
  const c = candidatesFromManifest(manifest, { partitions: { rb1: split, rb3: split } });
  assert.deepEqual(
    c.map((x) => x.id),
    ['rb1', 'rb3'],
  );
});

test('a partition without a profile or with a bad number is InvalidArgument naming it', () => {
  assert.throws(
    () => candidatesFromManifest(manifest, { partitions: { rb1: split } }),
    (e: unknown) =>
      e instanceof MeshError && e.code === Code.InvalidArgument && e.rawMessage.includes('"rb3"'),
  );
  assert.throws(
    () =>
      candidatesFromManifest(manifest, {
        partitions: { rb1: split, rb3: { ...split, mobileMs: -1 } },
      }),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.InvalidArgument &&
      e.rawMessage.includes('profiles.rb3.mobileMs'),
  );
});
