import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import { compileAgentConfig, applyEnv, readAgentEnv } from './index.js';

test('defaults fill every optional field and the result is frozen', () => {
  const c = compileAgentConfig({ modelRepo: 'models/x' });
  assert.equal(c.gatewayUrl, 'http://127.0.0.1:8080');
  assert.equal(c.objective, 'latency');
  assert.equal(c.strategy, 'auto');
  assert.equal(c.link.preset, 'none');
  assert.equal(c.control.planIntervalMs, 3000);
  assert.equal(c.api.host, '127.0.0.1');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.control));
});

function rejects(input: unknown, field: RegExp): void {
  assert.throws(
    () => compileAgentConfig(input),
    (e: unknown) =>
      e instanceof MeshError &&
      e.code === Code.InvalidArgument &&
      e.type === 'bad_config' &&
      field.test(e.message),
  );
}

test('bad values name the field', () => {
  rejects({}, /\/modelRepo is required/);
  rejects({ modelRepo: 'm', link: { preset: '5g' } }, /\/link\/preset/);
  rejects({ modelRepo: 'm', link: { preset: 'custom' } }, /\/link\/bandwidthMbps is required/);
  rejects(
    { modelRepo: 'm', link: { preset: 'custom', bandwidthMbps: -1 } },
    /\/link\/bandwidthMbps must be > 0/,
  );
  rejects({ modelRepo: 'm', gatewayUrl: 'ftp://x' }, /\/gatewayUrl/);
  rejects({ modelRepo: 'm', contorl: {} }, /\/contorl is not a known field/);
  rejects({ modelRepo: 'm', control: { backoffInitialMs: 100, backoffMaxMs: 50 } }, /backoffMaxMs/);
  rejects([], /JSON object/);
});

test('environment overrides the file and bad env values only warn', () => {
  const warnings: string[] = [];
  const env = readAgentEnv(
    { BOTTLENET_GATEWAY_URL: 'http://gw:1', BOTTLENET_AGENT_PORT: 'x', BOTTLENET_LINK: '3g' },
    (m) => warnings.push(m),
  );
  assert.equal(warnings.length, 1);
  const c = compileAgentConfig(applyEnv({ modelRepo: 'm', gatewayUrl: 'http://a:2' }, env));
  assert.equal(c.gatewayUrl, 'http://gw:1');
  assert.equal(c.link.preset, '3g');
  assert.equal(c.link.emulate, true);
});

test('the accuracy loss allowance defaults to 2 points and must be 0..100', () => {
  assert.equal(compileAgentConfig({ modelRepo: 'm' }).control.maxAccuracyLossPts, 2);
  rejects(
    { modelRepo: 'm', control: { maxAccuracyLossPts: -1 } },
    /\/control\/maxAccuracyLossPts must be >= 0/,
  );
  rejects(
    { modelRepo: 'm', control: { maxAccuracyLossPts: 101 } },
    /\/control\/maxAccuracyLossPts must be <= 100/,
  );
});
