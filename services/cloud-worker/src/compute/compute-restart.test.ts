// A compute thread that dies under load: every request is answered, the worker reports NOT_SERVING until
// a replacement thread has re-opened and warmed its sessions, then serves the same results as before.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  ERROR_TYPE_METADATA_KEY,
  HealthCheckResponse_ServingStatus as Serving,
  type HealthCheckResponse,
  type InferReply,
} from '@bottlenet/protocol';
import {
  TINY_MODEL_DIR,
  copyRepository,
  computeThreadRestarts,
  crashComputeThread,
  errorTrailer,
  startTestWorker,
  tinyFrames,
  type TestWorker,
  type TinyFrames,
  untilTrue,
} from '../testing/index.js';
import type { CrashKind } from './index.js';

const N = 16;
let data: TinyFrames;

before(async () => {
  data = await tinyFrames(N);
});

const request = (i: number) => ({
  model: 'fmnist-tiny',
  partitionId: 'rb1',
  topK: 5,
  payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(data.frames[i % N]!) },
});

/** What each call of a load run ended with. */
interface Outcomes {
  issued: number;
  ok: number;
  /** `code type` of each failure, counted. */
  failures: Map<string, number>;
  messages: Set<string>;
}

/** `callers` closed loops of Infer (each with a 20 s deadline: a hung request shows up as DEADLINE_EXCEEDED). */
function load(
  w: TestWorker,
  callers: number,
): { outcomes: Outcomes; stop: () => Promise<Outcomes> } {
  const o: Outcomes = { issued: 0, ok: 0, failures: new Map(), messages: new Set() };
  let stopped = false;
  const loops = Array.from({ length: callers }, async (_, c) => {
    for (let i = c; !stopped; i += callers) {
      o.issued++;
      try {
        await w.client.infer(request(i), { deadlineMs: 20_000 });
        o.ok++;
      } catch (e) {
        const err = e as ServiceError;
        const key = `${status[err.code]} ${errorTrailer(err, ERROR_TYPE_METADATA_KEY) ?? ''}`;
        o.failures.set(key, (o.failures.get(key) ?? 0) + 1);
        o.messages.add(err.details);
        // Back off a little on UNAVAILABLE as a client would (and so the loop does not spin).
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });
  return {
    outcomes: o,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return o;
    },
  };
}

/** Health statuses pushed on a grpc.health.v1 Watch stream. */
function watchHealth(w: TestWorker): { seen: Serving[]; cancel: () => void } {
  const seen: Serving[] = [];
  const stream: ClientReadableStream<HealthCheckResponse> = w.client.health.watch({
    service: '',
  });
  stream.on('data', (r: HealthCheckResponse) => seen.push(r.status));
  stream.on('error', () => undefined);
  return { seen, cancel: () => stream.cancel() };
}

const restarts = (w: TestWorker, result: 'ok' | 'error') => computeThreadRestarts(w.worker, result);

const top5 = (r: InferReply) => r.topK.map((s) => [s.classIndex, s.score.toFixed(5)].join(':'));

describe('a compute thread that dies under load', () => {
  let w: TestWorker;
  let reference: string[][];
  before(async () => {
    w = await startTestWorker({ onnx: { computeRestartDelayMs: 50 } });
    reference = [];
    for (let i = 0; i < N; i++) reference.push(top5(await w.client.infer(request(i))));
  });
  after(async () => {
    await w.stop();
  });

  // `terminate` (from the JS thread) is tested on an idle thread below: inside a session run it can
  // abort the whole process (onnxruntime-node's binding), which the worker itself never does.
  const kinds: CrashKind[] = ['exit', 'throw'];
  const inFlightFailures: number[] = [];
  kinds.forEach((how, k) => {
    test(`${how}: every request is answered, NOT_SERVING until the replacement is warm, same results after`, async (t) => {
      const health = watchHealth(w);
      const run = load(w, 16);
      await untilTrue('some answers under load', () => run.outcomes.ok >= 32);
      crashComputeThread(w.worker, how, { atNextRun: true });
      await untilTrue('the worker to notice the death', () => !w.worker.isReady(), 10_000);
      // While restarting: GetLoad says not ready, health NOT_SERVING, new requests UNAVAILABLE naming why.
      const load1 = await w.client.getLoad();
      const e = await w.client.inferError(request(0));
      await untilTrue('the replacement thread', () => w.worker.isReady());
      const o = await run.stop();
      health.cancel();
      t.diagnostic(
        `${how}: ${o.issued} requests, ${o.ok} ok, ${[...o.failures].map(([k, n]) => `${n} ${k}`).join(', ')}`,
      );

      assert.equal(o.ok + [...o.failures.values()].reduce((a, b) => a + b, 0), o.issued);
      for (const key of o.failures.keys())
        assert.match(
          key,
          /^UNAVAILABLE (compute_thread_failed|compute_thread_restarting|not_serving)$/,
        );
      for (const m of o.messages) assert.match(m, /compute thread bottlenet-compute-0/, m);
      assert.ok(o.ok > 0, 'requests were served before the crash');
      inFlightFailures.push(o.failures.get('UNAVAILABLE compute_thread_failed') ?? 0);

      if (load1.ready === false) {
        assert.equal(e.code, status.UNAVAILABLE);
        assert.match(
          e.details,
          /not serving: compute thread bottlenet-compute-0 is restarting after it died \((the thread exited with code|uncaught error in the thread)/,
        );
      }
      assert.ok(health.seen.includes(Serving.NOT_SERVING), `health seen: ${health.seen.join(',')}`);
      assert.equal(health.seen.at(-1), Serving.SERVING, `health seen: ${health.seen.join(',')}`);
      assert.equal((await w.client.check()).status, Serving.SERVING);
      assert.equal((await w.client.getLoad()).ready, true);
      assert.equal(await restarts(w, 'ok'), k + 1);

      // Correct results after: concurrent (batched, in the new thread) and one at a time.
      const batched = await Promise.all(data.frames.map((_, i) => w.client.infer(request(i))));
      assert.ok(batched.some((r) => r.timings!.batchSize > 1));
      assert.deepEqual(batched.map(top5), reference);
      for (let i = 0; i < 4; i++)
        assert.deepEqual(top5(await w.client.infer(request(i))), reference[i]);
    });
  });

  test('each time, the batch in flight on the dying thread got compute_thread_failed', () => {
    assert.ok(
      inFlightFailures.every((n) => n > 0),
      `in-flight failures per crash (exit, throw): ${inFlightFailures.join(', ')}`,
    );
  });

  test('terminate (an idle thread stopped from the JS thread, as a bug would): recovered, same results', async () => {
    crashComputeThread(w.worker, 'terminate');
    await untilTrue('the worker to notice the death', () => !w.worker.isReady(), 10_000);
    const e = await w.client.inferError(request(0));
    assert.equal(e.code, status.UNAVAILABLE);
    assert.match(e.details, /restarting after it died \(the thread exited with code 1\)/);
    await untilTrue('the replacement thread', () => w.worker.isReady());
    const batched = await Promise.all(data.frames.map((_, i) => w.client.infer(request(i))));
    assert.deepEqual(batched.map(top5), reference);
    assert.equal(await restarts(w, 'ok'), 3);
  });

  test('metrics: the restart counter and the ready gauges', async () => {
    const text = await w.worker.metrics.exposition();
    assert.match(
      text,
      /bottlenet_worker_compute_thread_restarts_total\{thread="bottlenet-compute-0",result="ok"[^}]*\} 3/,
    );
    assert.match(text, /bottlenet_worker_compute_threads_ready\{[^}]*\} 1/);
    assert.match(text, /bottlenet_worker_ready\{[^}]*\} 1/);
  });
});

test('a replacement that cannot re-open its sessions is retried with backoff until it can', async () => {
  const dir = copyRepository(TINY_MODEL_DIR);
  const w = await startTestWorker({
    models: [dir],
    onnx: { computeRestartDelayMs: 20, computeRestartMaxDelayMs: 80 },
  });
  const tail = join(dir, data.repo.partition('rb3').tail.file);
  const original = readFileSync(tail);
  try {
    // The file the thread re-opens is gone bad (the JS thread's validated copy is untouched).
    writeFileSync(tail, 'not an onnx model');
    crashComputeThread(w.worker, 'exit');
    await untilTrue('two failed restart attempts', async () => (await restarts(w, 'error')) >= 2);
    assert.equal(w.worker.isReady(), false);
    assert.equal((await w.client.check()).status, Serving.NOT_SERVING);
    const e = await w.client.inferError(request(0));
    assert.equal(e.code, status.UNAVAILABLE);
    writeFileSync(tail, original);
    await untilTrue('the restart to succeed', () => w.worker.isReady());
    assert.equal(await restarts(w, 'ok'), 1);
    const r = await w.client.infer(request(0));
    assert.equal(r.partitionId, 'rb1');
  } finally {
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shutting down while a thread restarts stops the restarts and drains', async () => {
  const w = await startTestWorker({ onnx: { computeRestartDelayMs: 5_000 } });
  crashComputeThread(w.worker, 'terminate');
  await untilTrue('the death', () => !w.worker.isReady());
  const t0 = performance.now();
  await w.stop();
  assert.ok(performance.now() - t0 < 4_000, 'shutdown did not wait for the restart');
});

test('a worker without compute threads has none to crash', async () => {
  const w = await startTestWorker({ onnx: { computeThreads: 0 } });
  try {
    assert.throws(() => crashComputeThread(w.worker, 'exit'), /no compute thread 0/);
    assert.equal((await w.client.check()).status, Serving.SERVING);
  } finally {
    await w.stop();
  }
});
