// The idle prober on a real worker (models/fmnist-tiny, real sessions, GetLoad over gRPC on port 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestWorker } from '../testing/test-worker.js';
import { untilTrue } from '../testing/until-true.js';

async function rb1ServiceMs(w: Awaited<ReturnType<typeof startTestWorker>>): Promise<number> {
  const r = await w.client.getLoad();
  return r.partitions.find((p) => p.partitionId === 'rb1')!.ewmaServiceMs;
}

/** What a congestion leaves behind: lone runs that took 500 ms while the CPU was shared. */
function congest(w: Awaited<ReturnType<typeof startTestWorker>>): void {
  const rb1 = w.worker.host.resolve('fmnist-tiny', '1', 'rb1');
  for (let i = 0; i < 10; i++) rb1.stats.recordBatch(1, 500, 0);
}

test('an idle partition is re-measured, so its reported service time recovers after a congestion', async (t) => {
  const w = await startTestWorker({ idleProbeMs: 200 });
  t.after(() => w.stop());
  congest(w);
  assert.ok((await rb1ServiceMs(w)) > 400, 'right after the congestion its time is reported');
  await untilTrue(
    'the idle probe to replace the congested service time',
    async () => {
      const ms = await rb1ServiceMs(w);
      return ms > 0 && ms < 50;
    },
    10_000,
  );
  const r = await w.client.getLoad();
  const rb1 = r.partitions.find((p) => p.partitionId === 'rb1')!;
  assert.equal(rb1.completedTotal, 0, 'probes are not requests');
  assert.equal(rb1.inFlight, 0);
});

test('with idleProbeMs 0 the congested time stays (the behaviour the prober fixes)', async (t) => {
  const w = await startTestWorker({ idleProbeMs: 0 });
  t.after(() => w.stop());
  congest(w);
  await sleep(2600); // past the stats' 2 s idle window
  assert.ok((await rb1ServiceMs(w)) > 400);
});
