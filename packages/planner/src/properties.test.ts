// Property tests: more cloud load never moves the choice toward the cloud; more bandwidth never
// moves it toward the device. Both hold for candidate sets where a deeper candidate never has a longer
// cloud time or more bytes than a shallower one (see monotonicity.ts), which the generator builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Candidate,
  type CloudLoad,
  type Objective,
  type PlanInput,
  type Selection,
  candidatesFromManifest,
  monotonicityViolations,
  objectiveValue,
  paperResNet50,
  selectPartition,
} from './index.js';

const num = (max: number) => fc.double({ min: 0, max, noNaN: true, noDefaultInfinity: true });
const descending = (n: number, max: number) =>
  fc.array(num(max), { minLength: n, maxLength: n }).map((xs) => xs.sort((a, b) => b - a));

const candidateSet: fc.Arbitrary<Candidate[]> = fc.integer({ min: 1, max: 16 }).chain((splits) =>
  fc
    .record({
      cloud: descending(splits + 1, 200),
      bytes: descending(splits + 1, 100_000),
      mobile: fc.array(num(500), { minLength: splits + 2, maxLength: splits + 2 }),
      power: fc.array(num(10_000), { minLength: splits + 2, maxLength: splits + 2 }),
    })
    .map(({ cloud, bytes, mobile, power }) =>
      Array.from({ length: splits + 2 }, (_, i): Candidate => {
        const kind = i === 0 ? 'cloud-only' : i === splits + 1 ? 'mobile-only' : 'split';
        const remote = kind !== 'mobile-only';
        return {
          id: kind === 'split' ? `rb${i}` : kind,
          kind,
          order: i,
          mobileMs: mobile[i]!,
          mobilePowerMw: power[i]!,
          cloudMs: remote ? cloud[i]! : 0,
          bytes: remote ? bytes[i]! : 0,
        };
      }),
    ),
);

const objective = fc.constantFrom<Objective>('latency', 'energy');
const uplink = fc.record({
  bandwidthMbps: fc.double({ min: 0.05, max: 1000, noNaN: true }),
  rttMs: num(300),
  alphaMwPerMbps: num(1000),
  betaMw: num(2000),
});
const cloudLoad = fc.record({
  queueDepth: num(500),
  inFlight: num(200),
  serviceTimeMs: num(100),
  capacity: fc.double({ min: 0.5, max: 64, noNaN: true }),
});
const moreLoad = fc.record({
  queue: num(500),
  inFlight: num(200),
  service: num(100),
  capacityCut: fc.double({ min: 0, max: 0.9, noNaN: true }),
});

/**
 * True unless `after` chose a candidate on the forbidden side of `before`'s choice while a candidate on
 * the allowed side scored strictly better (a tie within rounding is not a move).
 */
function stayedOnSide(after: Selection, allowed: (order: number) => boolean): boolean {
  if (allowed(after.chosen.order)) return true;
  const best = Math.min(
    ...after.predictions
      .filter((p) => allowed(p.order))
      .map((p) => objectiveValue(p, after.objective)),
  );
  const got = objectiveValue(after.chosen, after.objective);
  return got >= best - 1e-9 * Math.max(1, Math.abs(best));
}

test('the generator builds monotone candidate sets, and the paper reference is one', () => {
  fc.assert(
    fc.property(candidateSet, (c) => monotonicityViolations(c).length === 0),
    { numRuns: 200 },
  );
  const { manifest, profiles } = paperResNet50();
  assert.deepEqual(monotonicityViolations(candidatesFromManifest(manifest, profiles)), []);
});

test('more cloud load never moves the choice toward the cloud', () => {
  fc.assert(
    fc.property(
      candidateSet,
      uplink,
      objective,
      cloudLoad,
      moreLoad,
      num(1),
      (candidates, link, obj, load, more, util) => {
        const heavier: CloudLoad = {
          queueDepth: load.queueDepth + more.queue,
          inFlight: (load.inFlight ?? 0) + more.inFlight,
          serviceTimeMs: load.serviceTimeMs + more.service,
          capacity: load.capacity * (1 - more.capacityCut),
        };
        const base: PlanInput = {
          candidates,
          uplink: link,
          objective: obj,
          mobileLoad: { utilisation: util },
        };
        const before = selectPartition({ ...base, cloudLoad: load });
        const after = selectPartition({ ...base, cloudLoad: heavier });
        return stayedOnSide(after, (order) => order >= before.chosen.order);
      },
    ),
    { numRuns: 2000 },
  );
});

test('more bandwidth never moves the choice toward the device', () => {
  fc.assert(
    fc.property(
      candidateSet,
      uplink,
      objective,
      cloudLoad,
      num(1000),
      num(1),
      (candidates, link, obj, load, extra, util) => {
        const base = {
          candidates,
          objective: obj,
          cloudLoad: load,
          mobileLoad: { utilisation: util },
        };
        const before = selectPartition({ ...base, uplink: link });
        const after = selectPartition({
          ...base,
          uplink: { ...link, bandwidthMbps: link.bandwidthMbps + extra },
        });
        return stayedOnSide(after, (order) => order <= before.chosen.order);
      },
    ),
    { numRuns: 2000 },
  );
});

test('without the monotone shape the physics wins: a deeper split that sends more gains more from bandwidth', () => {
  const c: Candidate[] = [
    { id: 'rb1', kind: 'split', order: 1, mobileMs: 5, mobilePowerMw: 1, cloudMs: 5, bytes: 100 },
    { id: 'rb2', kind: 'split', order: 2, mobileMs: 4, mobilePowerMw: 1, cloudMs: 4, bytes: 1000 },
  ];
  assert.deepEqual(monotonicityViolations(c), [
    { field: 'bytes', shallower: 'rb1', deeper: 'rb2' },
  ]);
  const at = (bandwidthMbps: number) =>
    selectPartition({
      candidates: c,
      objective: 'latency',
      uplink: { bandwidthMbps, rttMs: 0, alphaMwPerMbps: 0, betaMw: 0 },
    }).chosen.id;
  assert.equal(at(1), 'rb1');
  assert.equal(at(100), 'rb2');
});
