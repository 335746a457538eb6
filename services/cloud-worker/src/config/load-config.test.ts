import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, MeshError } from '@bottlenet/errors';
import { loadWorkerConfig } from './index.js';

function tmpFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'worker-config-'));
  const file = join(dir, 'worker.json');
  writeFileSync(file, content);
  return file;
}

function assertBadConfig(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MeshError);
    assert.equal(e.code, Code.InvalidArgument);
    assert.equal(e.type, 'bad_config');
    assert.match(e.message, pattern);
    return true;
  });
}

test('defaults fill every field and the result is deep-frozen', () => {
  const c = loadWorkerConfig({ env: { WORKER_MODELS: 'models/a' } });
  assert.deepEqual(c.models, ['models/a']);
  assert.equal(c.grpc.port, 50051);
  assert.equal(c.batching.maxBatchSize, 32);
  assert.equal(c.batching.maxQueueDelayMs, 0);
  assert.equal(c.idleProbeMs, 5000);
  assert.equal(
    loadWorkerConfig({ env: { WORKER_MODELS: 'm', WORKER_IDLE_PROBE_MS: '0' } }).idleProbeMs,
    0,
  );
  assert.ok(c.workerId.length > 0);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.batching) && Object.isFrozen(c.models));
  assert.throws(() => {
    (c.batching as { maxBatchSize: number }).maxBatchSize = 1;
  }, TypeError);
});

test('precedence: defaults < file < env < overrides', () => {
  const file = tmpFile(
    JSON.stringify({
      models: ['f'],
      grpc: { port: 1000, host: '127.0.0.1' },
      batching: { maxBatchSize: 8 },
    }),
  );
  const c = loadWorkerConfig({
    env: { WORKER_CONFIG: file, WORKER_GRPC_PORT: '2000', WORKER_MAX_QUEUE_SIZE: '7' },
    overrides: { batching: { maxQueueSize: 9 } },
  });
  assert.equal(c.grpc.port, 2000);
  assert.equal(c.grpc.host, '127.0.0.1');
  assert.equal(c.batching.maxBatchSize, 8);
  assert.equal(c.batching.maxQueueSize, 9);
  assert.deepEqual(c.models, ['f']);
});

test('an unparsable env value warns and falls back', () => {
  const warnings: string[] = [];
  const c = loadWorkerConfig({
    env: { WORKER_MODELS: 'm', WORKER_GRPC_PORT: 'abc', WORKER_METRICS_ENABLED: 'maybe' },
    warn: (m) => warnings.push(m),
  });
  assert.equal(c.grpc.port, 50051);
  assert.equal(c.metrics.enabled, true);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /WORKER_GRPC_PORT/);
});

test('schema violations name the field', () => {
  assertBadConfig(
    () => loadWorkerConfig({ env: { WORKER_MODELS: 'm', WORKER_GRPC_PORT: '70000' } }),
    /grpc\.port/,
  );
  assertBadConfig(() => loadWorkerConfig({ env: {} }), /models/);
  assertBadConfig(
    () =>
      loadWorkerConfig({
        env: {},
        file: tmpFile(JSON.stringify({ models: ['m'], batching: { maxBatchsize: 3 } })),
      }),
    /batching\.maxBatchsize/,
  );
  assertBadConfig(
    () => loadWorkerConfig({ env: {}, overrides: { models: ['m'], logLevel: 'loud' as 'info' } }),
    /logLevel/,
  );
  assertBadConfig(
    () => loadWorkerConfig({ env: {}, overrides: { models: ['m'], ewmaAlpha: 0 } }),
    /ewmaAlpha/,
  );
  assertBadConfig(
    () => loadWorkerConfig({ env: { WORKER_MODELS: 'm', WORKER_IDLE_PROBE_MS: '-5' } }),
    /idleProbeMs/,
  );
});

test('a missing or malformed file is a clear error', () => {
  assertBadConfig(
    () => loadWorkerConfig({ env: {}, file: '/nonexistent/worker.json' }),
    /cannot read \/nonexistent/,
  );
  assertBadConfig(() => loadWorkerConfig({ env: {}, file: tmpFile('{ nope') }), /is not JSON/);
  assertBadConfig(() => loadWorkerConfig({ env: {}, file: tmpFile('[1]') }), /JSON object/);
});

test('onnx.computeRunTimeoutMs: default 30 s, from WORKER_COMPUTE_RUN_TIMEOUT_MS, negative rejected by name', () => {
  assert.equal(loadWorkerConfig({ env: { WORKER_MODELS: 'm' } }).onnx.computeRunTimeoutMs, 30_000);
  const c = loadWorkerConfig({
    env: { WORKER_MODELS: 'm', WORKER_COMPUTE_RUN_TIMEOUT_MS: '0' },
  });
  assert.equal(c.onnx.computeRunTimeoutMs, 0);
  assertBadConfig(
    () =>
      loadWorkerConfig({
        env: { WORKER_MODELS: 'm' },
        overrides: { onnx: { computeRunTimeoutMs: -1 } },
      }),
    /onnx\.computeRunTimeoutMs|onnx\/computeRunTimeoutMs/,
  );
});
