import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import type { LoadReport, PartitionLoad } from '@bottlenet/protocol';
import { computeSummary, parseCloudSummary, summaryChanged, type PolledWorker } from './index.js';

function part(id: string, over: Partial<PartitionLoad> = {}): PartitionLoad {
  return {
    model: 'm',
    version: '1',
    partitionId: id,
    queueDepth: 0,
    inFlight: 0,
    ewmaServiceMs: 10,
    ewmaBatchSize: 1,
    ewmaQueueMs: 0,
    maxBatchSize: 4,
    completedTotal: 0,
    ...over,
  };
}

function worker(id: string, over: Partial<LoadReport> = {}, polledAtMs = 1000): PolledWorker {
  const report: LoadReport = {
    workerId: id,
    address: `${id}:1`,
    models: [{ name: 'm', version: '1', partitionIds: ['rb1', 'cloud'] }],
    partitions: [part('rb1'), part('cloud', { ewmaServiceMs: 20 })],
    inFlight: 0,
    capacity: 8,
    queueCapacity: 64,
    queueDepth: 0,
    timestampMs: polledAtMs,
    ready: true,
    ...over,
  };
  return { address: `${id}:1`, report, polledAtMs };
}

const ctx = { monitorId: 'mon', ttlMs: 1000, nowMs: 1500 };

test('an idle tier has K_cloud 1 and expected times equal to the service times', () => {
  const s = computeSummary([worker('a'), worker('b')], ctx);
  assert.equal(s.loadLevel, 1);
  assert.equal(s.utilisation, 0);
  assert.equal(s.healthyWorkers, 2);
  assert.equal(s.capacity, 16);
  assert.deepEqual(
    s.partitions.map((p) => [p.partitionId, p.expectedCloudMs, p.workers]),
    [
      ['cloud', 20, 2],
      ['rb1', 10, 2],
    ],
  );
  assert.deepEqual(
    s.workers.map((w) => w.id),
    ['a', 'b'],
  );
});

test('queueing raises K_cloud and every expected time by the drain time of the pooled queue', () => {
  // 16 queued over 16 slots, mean batch time 15 ms -> wait 15 ms; 16 in flight over 16 slots -> stretch 1.
  const s = computeSummary(
    [worker('a', { queueDepth: 8, inFlight: 8 }), worker('b', { queueDepth: 8, inFlight: 8 })],
    ctx,
  );
  assert.equal(s.loadLevel, 2);
  assert.equal(s.utilisation, 2);
  assert.deepEqual(
    s.partitions.map((p) => p.expectedCloudMs),
    [35, 25],
  );
});

test('workers not polled within the TTL leave; workers not ready stay listed but carry no load', () => {
  const s = computeSummary(
    [worker('old', {}, 400), worker('cold', { ready: false, queueDepth: 50 }), worker('ok')],
    ctx,
  );
  assert.deepEqual(
    s.workers.map((w) => [w.id, w.ready]),
    [
      ['cold', false],
      ['ok', true],
    ],
  );
  assert.equal(s.healthyWorkers, 1);
  assert.equal(s.queueDepth, 0);
});

test('summaryChanged ignores timestamps and small drifts, sees load and membership changes', () => {
  const a = computeSummary([worker('a')], ctx);
  assert.equal(summaryChanged(undefined, a), true);
  assert.equal(
    summaryChanged(a, computeSummary([worker('a', {}, 1400)], { ...ctx, nowMs: 1600 })),
    false,
  );
  assert.equal(summaryChanged(a, computeSummary([worker('a', { queueDepth: 1 })], ctx)), true);
  assert.equal(summaryChanged(a, computeSummary([worker('a'), worker('b')], ctx)), true);
  assert.equal(summaryChanged(a, computeSummary([worker('a', { ready: false })], ctx)), true);
});

test('parseCloudSummary round-trips and names a bad field', () => {
  const s = computeSummary([worker('a')], ctx);
  assert.deepEqual(parseCloudSummary(JSON.stringify(s)), s);
  assert.throws(
    () => parseCloudSummary('{'),
    (e: unknown) => e instanceof MeshError && e.code === Code.DataLoss && e.type === 'bad_summary',
  );
  assert.throws(
    () => parseCloudSummary(JSON.stringify({ ...s, workers: [{ ...s.workers[0], ready: 'yes' }] })),
    /cloud summary field \/workers\/0\/ready/,
  );
});
