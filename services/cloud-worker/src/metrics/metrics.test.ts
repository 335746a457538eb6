// The worker's Prometheus endpoint: the metrics the issue names, readiness, and `promtool check metrics`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestWorker, tinyFrames, type TestWorker } from '../testing/index.js';

let w: TestWorker;

before(async () => {
  const { frames } = await tinyFrames(1);
  w = await startTestWorker({ metrics: { enabled: true } });
  // One answered request and one refused, so that both series exist.
  const payload = { $case: 'featureFrame' as const, featureFrame: Buffer.from(frames[0]!) };
  await w.client.infer({ model: 'fmnist-tiny', partitionId: 'rb1', payload });
  await w.client.inferError({ model: 'nope', partitionId: 'rb1', payload });
});

after(async () => {
  await w.stop();
});

test('metrics are served and promtool check metrics is clean', async (t) => {
  const res = await fetch(`http://127.0.0.1:${w.worker.metricsPort}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(
    text,
    /bottlenet_worker_requests_total\{[^}]*partition="rb1"[^}]*code="ok"[^}]*\} \d+/,
  );
  assert.match(text, /bottlenet_worker_requests_total\{[^}]*code="not_found"/);
  assert.match(text, /bottlenet_worker_batch_size_bucket/);
  assert.match(text, /bottlenet_worker_queue_duration_seconds_bucket/);
  assert.match(text, /bottlenet_worker_compute_duration_seconds_bucket/);
  assert.match(text, /bottlenet_worker_ready\{[^}]*\} 1/);
  assert.match(text, /bottlenet_worker_queue_depth\{[^}]*partition="rb3"[^}]*\} 0/);
  assert.match(text, /bottlenet_worker_in_flight_requests\{[^}]*partition="cloud"[^}]*\} 0/);
  // Exposed at 0 from the start, so that increase() sees the first restart.
  assert.match(
    text,
    /bottlenet_worker_compute_thread_restarts_total\{thread="bottlenet-compute-0",result="ok"[^}]*\} 0/,
  );
  assert.match(text, /bottlenet_worker_compute_threads_ready\{[^}]*\} 1/);
  if (!existsSync('/usr/bin/promtool')) {
    t.skip('promtool not installed');
    return;
  }
  const file = join(mkdtempSync(join(tmpdir(), 'metrics-')), 'metrics.txt');
  writeFileSync(file, text);
  // promtool prints problems and exits non-zero when there are any.
  const out = execFileSync('/bin/sh', [
    '-c',
    `/usr/bin/promtool check metrics < ${file} 2>&1; echo "exit=$?"`,
  ]).toString();
  assert.match(out, /exit=0/, out);
  assert.equal((await fetch(`http://127.0.0.1:${w.worker.metricsPort}/healthz`)).status, 200);
});
