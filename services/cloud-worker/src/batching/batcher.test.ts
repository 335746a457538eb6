import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, MeshError } from '@bottlenet/errors';
import { DynamicBatcher, type BatcherOptions } from './batcher.js';

/** Lets scheduled dispatches (setImmediate) and promise callbacks run. */
async function tick(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

/** A run function whose completion the test controls. */
function gatedRun(): {
  run: (xs: readonly number[]) => Promise<number[]>;
  release: () => void;
  calls: number[][];
} {
  const calls: number[][] = [];
  let gate: (() => void) | undefined;
  return {
    calls,
    release: () => gate?.(),
    run: (xs) => {
      calls.push([...xs]);
      return new Promise((resolve) => {
        gate = () => resolve(xs.map((x) => x * 10));
      });
    },
  };
}

function batcher(
  over: Partial<BatcherOptions<number, number>> = {},
): DynamicBatcher<number, number> {
  return new DynamicBatcher<number, number>({
    name: 'm@1/rb1',
    maxBatchSize: 4,
    maxQueueDelayMs: 0,
    maxQueueSize: 100,
    run: (xs) => xs.map((x) => x * 10),
    ...over,
  });
}

async function rejection(p: Promise<unknown>): Promise<MeshError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MeshError, `expected a MeshError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

test('concurrent requests form batches of at most maxBatchSize and results are split in order', async () => {
  const sizes: number[] = [];
  const b = batcher({ onBatch: (e) => sizes.push(e.size) });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
  assert.deepEqual(
    results.map((r) => r.output),
    Array.from({ length: 10 }, (_, i) => i * 10),
  );
  assert.deepEqual(sizes, [4, 4, 2]);
  assert.deepEqual(
    results.map((r) => r.batchSize),
    [4, 4, 4, 4, 4, 4, 4, 4, 2, 2],
  );
});

test('requests arriving during a run form the next batch (one run at a time)', async () => {
  const g = gatedRun();
  const b = batcher({ run: g.run, maxBatchSize: 8 });
  const first = b.submit(1);
  await tick();
  assert.equal(b.inFlight, 1);
  const rest = [b.submit(2), b.submit(3), b.submit(4)];
  await tick();
  assert.equal(b.queueDepth, 3);
  assert.equal(g.calls.length, 1);
  g.release();
  assert.equal((await first).output, 10);
  await tick();
  g.release();
  assert.deepEqual(
    (await Promise.all(rest)).map((r) => r.output),
    [20, 30, 40],
  );
  assert.deepEqual(g.calls, [[1], [2, 3, 4]]);
});

test('maxQueueDelayMs holds a partial batch, a full batch goes at once', async () => {
  const sizes: number[] = [];
  const b = batcher({ maxQueueDelayMs: 30, onBatch: (e) => sizes.push(e.size) });
  const t0 = performance.now();
  const partial = await Promise.all([b.submit(1), b.submit(2)]);
  const waited = performance.now() - t0;
  assert.ok(waited >= 25, `partial batch waited only ${waited} ms`);
  assert.ok(partial[0].queueMs >= 25);
  const t1 = performance.now();
  await Promise.all([1, 2, 3, 4].map((x) => b.submit(x)));
  assert.ok(performance.now() - t1 < 25, 'a full batch must not wait for the delay');
  assert.deepEqual(sizes, [2, 4]);
});

test('a full queue answers RESOURCE_EXHAUSTED at once with a retry hint', async () => {
  const g = gatedRun();
  const b = batcher({ run: g.run, maxQueueSize: 2, retryAfterMs: (q) => q * 5 });
  const running = b.submit(0);
  await tick();
  const queued = [b.submit(1), b.submit(2)];
  const e = await rejection(b.submit(3));
  assert.equal(e.code, Code.ResourceExhausted);
  assert.equal(e.type, 'queue_full');
  assert.equal(e.details['retryAfterMs'], 10);
  assert.match(e.message, /m@1\/rb1 queue is full/);
  g.release();
  await running;
  await tick();
  g.release();
  await Promise.all(queued);
});

test('expired requests are dropped before compute with DEADLINE_EXCEEDED', async () => {
  const g = gatedRun();
  const drops: string[] = [];
  const b = batcher({ run: g.run, onDrop: (r) => drops.push(r) });
  const past = await rejection(b.submit(1, { deadline: performance.now() - 1 }));
  assert.equal(past.code, Code.DeadlineExceeded);
  const running = b.submit(2);
  await tick();
  const late = b.submit(3, { deadline: performance.now() + 5 });
  const fine = b.submit(4, { deadline: performance.now() + 10_000 });
  const cancelled = b.submit(5, { isCancelled: () => true });
  await sleep(15);
  g.release();
  await running;
  const lateErr = await rejection(late);
  assert.equal(lateErr.code, Code.DeadlineExceeded);
  assert.match(lateErr.message, /before compute/);
  assert.equal((await rejection(cancelled)).code, Code.Canceled);
  await tick();
  g.release();
  assert.equal((await fine).output, 40);
  assert.deepEqual(g.calls, [[2], [4]], 'expired and cancelled requests never reach the session');
  assert.deepEqual(drops, ['deadline', 'deadline', 'cancelled']);
});

test('a failing run rejects its batch with INTERNAL and the batcher keeps serving', async () => {
  let fail = true;
  const b = batcher({
    run: (xs) => {
      if (fail) throw new Error('onnx exploded');
      return xs;
    },
  });
  const e = await rejection(b.submit(1));
  assert.equal(e.code, Code.Internal);
  assert.match(e.message, /session run failed: onnx exploded/);
  fail = false;
  assert.equal((await b.submit(2)).output, 2);
  const bad = batcher({ run: () => [] });
  assert.equal((await rejection(bad.submit(1))).code, Code.Internal);
});

test('close rejects new work with UNAVAILABLE and whenIdle waits for the queue to drain', async () => {
  const g = gatedRun();
  const b = batcher({ run: g.run });
  const a = b.submit(1);
  await tick();
  const c = b.submit(2);
  b.close('draining for shutdown');
  const e = await rejection(b.submit(3));
  assert.equal(e.code, Code.Unavailable);
  let idle = false;
  const w = b.whenIdle().then(() => (idle = true));
  g.release();
  await a;
  assert.equal(idle, false);
  await tick();
  g.release();
  await c;
  await w;
  assert.equal(idle, true);
});

test('runAlone holds the session: batches wait for it, and it is skipped while the batcher is busy', async () => {
  const g = gatedRun();
  const b = batcher({ run: g.run, maxBatchSize: 8 });
  let releaseJob: (() => void) | undefined;
  const job = b.runAlone(
    () => new Promise<string>((resolve) => (releaseJob = () => resolve('probed'))),
  );
  await tick();
  const queued = [b.submit(1), b.submit(2)];
  await tick();
  assert.equal(g.calls.length, 0, 'no batch runs while the job holds the session');
  assert.equal(b.queueDepth, 2);
  assert.equal(await b.runAlone(() => Promise.resolve('second')), undefined, 'one job at a time');
  let idle = false;
  void b.whenIdle().then(() => (idle = true));
  releaseJob!();
  assert.equal(await job, 'probed');
  await tick();
  assert.deepEqual(g.calls, [[1, 2]], 'the queued requests run as one batch after the job');
  assert.equal(
    await b.runAlone(() => Promise.resolve('busy')),
    undefined,
    'skipped while a batch runs',
  );
  g.release();
  assert.deepEqual(
    (await Promise.all(queued)).map((r) => r.output),
    [10, 20],
  );
  await tick();
  assert.ok(idle, 'whenIdle resolved once the job and the batch were done');
  assert.equal(await b.runAlone(() => Promise.resolve('idle')), 'idle');
  b.close();
  assert.equal(await b.runAlone(() => Promise.resolve('closed')), undefined, 'not after close');
});
