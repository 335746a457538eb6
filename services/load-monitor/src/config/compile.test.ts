import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { compileLoadMonitorConfig } from './index.js';

const base = {
  redis: { url: 'redis://127.0.0.1:6379' },
  discovery: { static: ['127.0.0.1:50051'] },
};

test('defaults fill every optional field and the result is frozen', () => {
  const c = compileLoadMonitorConfig(base);
  assert.equal(c.pollIntervalMs, 200);
  assert.equal(c.ttlMs, 1000);
  assert.equal(c.redis.keyPrefix, 'bottlenet:');
  assert.equal(c.discovery.refreshMs, 2000);
  assert.equal(c.http.port, 9464);
  assert.match(c.monitorId, /.+-\d+/);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.discovery.static));
});

function rejects(input: unknown, field: RegExp): void {
  assert.throws(
    () => compileLoadMonitorConfig(input),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.InvalidArgument &&
      e.type === 'bad_config' &&
      field.test(e.message),
  );
}

test('bad values name the field', () => {
  rejects({}, /\/redis is required/);
  rejects({ ...base, redis: { url: 'http://x' } }, /\/redis\/url must match/);
  rejects({ ...base, discovery: { static: ['no-port'] } }, /\/discovery\/static\/0 must match/);
  rejects(
    { ...base, discovery: { dns: [{ name: 'w', port: 70000 }] } },
    /\/discovery\/dns\/0\/port must be <= 65535/,
  );
  rejects({ ...base, pollIntervalMs: 1 }, /\/pollIntervalMs must be >= 10/);
  rejects({ ...base, pollIntervalMS: 100 }, /\/pollIntervalMS is not a known field/);
  rejects({ ...base, discovery: {} }, /\/discovery needs at least one of static, dns or registry/);
  rejects(
    { ...base, redis: { url: 'redis://x', reconnectBaseMs: 100, reconnectMaxMs: 10 } },
    /reconnectMaxMs/,
  );
  rejects({ ...base, logLevel: 'loud' }, /\/logLevel is not one of the allowed values/);
  rejects([], /JSON object/);
});
