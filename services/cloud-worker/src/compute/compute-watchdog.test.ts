// The run watchdog (onnx.computeRunTimeoutMs): a session run that does not return fails its requests at
// once with UNAVAILABLE, the thread is abandoned and replaced, and the stuck thread exits when its run
// finally returns. A slow run under the limit is left alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  ERROR_TYPE_METADATA_KEY,
  HealthCheckResponse_ServingStatus as Serving,
} from '@bottlenet/protocol';
import {
  computeThreadRestarts,
  errorTrailer,
  hangComputeThread,
  startTestWorker,
  tinyFrames,
  type TestWorker,
  type TinyFrames,
  untilTrue,
} from '../testing/index.js';

const TIMEOUT_MS = 1000;
const HANG_MS = 4000;
let data: TinyFrames;
let w: TestWorker;

before(async () => {
  data = await tinyFrames(4);
  w = await startTestWorker({
    onnx: { computeRunTimeoutMs: TIMEOUT_MS, computeRestartDelayMs: 20 },
  });
});
after(async () => {
  await w.stop();
});

const request = (i: number) => ({
  model: 'fmnist-tiny',
  partitionId: 'rb1',
  topK: 5,
  payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(data.frames[i]!) },
});
const top5 = (r: { topK: { classIndex: number; score: number }[] }) =>
  r.topK.map((s) => `${s.classIndex}:${s.score.toFixed(5)}`);

async function gauge(name: 'computeThreadsAbandoned' | 'computeThreadsReady'): Promise<number> {
  return (await w.worker.metrics[name].get()).values[0]?.value ?? 0;
}
const restarts = () => computeThreadRestarts(w.worker, 'ok');

/** `n` concurrent requests (a lone request runs on the JS thread; concurrent ones batch in the thread). */
async function burst(n: number, i: number) {
  const t0 = performance.now();
  return Promise.all(
    Array.from({ length: n }, () =>
      w.client.infer(request(i), { deadlineMs: 20_000 }).then(
        (r) => ({ ok: true as const, r, ms: performance.now() - t0 }),
        (e: ServiceError) => ({ ok: false as const, e, ms: performance.now() - t0 }),
      ),
    ),
  );
}

test('a run slower than usual but under the limit is not abandoned', async () => {
  const reference = top5(await w.client.infer(request(0)));
  hangComputeThread(w.worker, TIMEOUT_MS / 5);
  const out = await burst(8, 0);
  for (const o of out) {
    assert.ok(o.ok, o.ok ? '' : o.e.details);
    assert.deepEqual(top5(o.r), reference);
  }
  assert.ok(
    out.some((o) => o.ok && o.r.timings!.batchSize > 1),
    'some requests ran batched in the thread',
  );
  assert.equal(await restarts(), 0);
  assert.equal(await gauge('computeThreadsAbandoned'), 0);
});

test('a stuck run: UNAVAILABLE at once, the thread replaced while it is still stuck, then it exits', async (t) => {
  const reference = top5(await w.client.infer(request(1)));
  hangComputeThread(w.worker, HANG_MS);
  const t0 = performance.now();
  const out = await burst(8, 1);
  const failed = out.filter((o) => !o.ok);
  assert.ok(failed.length > 0, 'the batch in the stuck run failed');
  for (const o of failed) {
    assert.equal(o.e.code, status.UNAVAILABLE, o.e.details);
    assert.match(
      String(errorTrailer(o.e, ERROR_TYPE_METADATA_KEY)),
      /^(compute_thread_failed|compute_thread_restarting|not_serving)$/,
    );
  }
  const stuck = failed.filter(
    (o) => errorTrailer(o.e, ERROR_TYPE_METADATA_KEY) === 'compute_thread_failed',
  );
  assert.ok(stuck.length > 0, 'the requests of the stuck run got compute_thread_failed');
  assert.match(
    stuck[0]!.e.details,
    new RegExp(
      `compute thread bottlenet-compute-0 died \\(a session run has not returned for \\d+ ms \\(onnx.computeRunTimeoutMs ${TIMEOUT_MS}\\)`,
    ),
  );
  const failedAfterMs = Math.max(...stuck.map((o) => o.ms));
  assert.ok(failedAfterMs < HANG_MS - 500, `failed after ${failedAfterMs.toFixed(0)} ms`);
  for (const o of out) if (o.ok) assert.deepEqual(top5(o.r), reference);

  await untilTrue('the replacement thread', () => w.worker.isReady(), 15_000);
  const servingAgainMs = performance.now() - t0;
  const again = await burst(8, 1);
  const answeredMs = performance.now() - t0;
  for (const o of again) {
    assert.ok(o.ok, o.ok ? '' : o.e.details);
    assert.deepEqual(top5(o.r), reference);
  }
  assert.equal((await w.client.check()).status, Serving.SERVING);
  assert.equal(await restarts(), 1);
  // The old thread cannot exit before HANG_MS after t0 (its hang began after t0): a gauge read that
  // completed earlier must still count it, so the replacement served while the old thread was blocked.
  const abandonedNow = await gauge('computeThreadsAbandoned');
  if (performance.now() - t0 < HANG_MS - 50) assert.equal(abandonedNow, 1);
  await untilTrue(
    'the abandoned thread to exit',
    async () => (await gauge('computeThreadsAbandoned')) === 0,
    15_000,
  );
  const exitedMs = performance.now() - t0;
  assert.ok(exitedMs >= HANG_MS - 100, `the stuck thread exited after ${exitedMs.toFixed(0)} ms`);
  assert.equal(await gauge('computeThreadsReady'), 1);
  t.diagnostic(
    `watchdog: ${stuck.length} requests of the stuck run failed after ${failedAfterMs.toFixed(0)} ms, serving again after ${servingAgainMs.toFixed(0)} ms, a burst answered after ${answeredMs.toFixed(0)} ms, the stuck thread exited after ${exitedMs.toFixed(0)} ms`,
  );
});
