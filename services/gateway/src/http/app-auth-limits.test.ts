// In-process tests of the gateway's HTTP surface (fastify inject), part 1: auth (401/403), body limits
// (413), the per-key rate limit (429), unknown routes and request ids, health, readiness and metrics.
// Part 2 (schemas, bad infer input) is app-validation.test.ts; part 3 (models, plan, OpenAPI) app-control.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../gateway.js';
import {
  KEY,
  SLOW,
  PLAN_ONLY,
  auth,
  expectError,
  frame,
  plan,
  testGateway,
} from '../testing/gateway-fixture.js';

describe('gateway HTTP surface: auth, limits, health', () => {
  let gw: Gateway;
  before(async () => {
    gw = await testGateway();
  });
  after(() => gw.close());

  test('401 without, with a malformed or with an unknown bearer key; 403 without the scope', async () => {
    const none = await gw.app.inject({ method: 'POST', url: '/v1/plan', payload: plan });
    expectError(none, 401, 'unauthenticated', /missing Authorization/, 'missing_credentials');
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    expectError(
      await gw.app.inject({
        method: 'POST',
        url: '/v1/plan',
        payload: plan,
        headers: { authorization: `Basic ${KEY}` },
      }),
      401,
      'unauthenticated',
      /not "Bearer/,
      'bad_credentials',
    );
    expectError(
      await gw.app.inject({
        method: 'POST',
        url: '/v1/plan',
        payload: plan,
        headers: auth('k-unknown-0123456789'),
      }),
      401,
      'unauthenticated',
      /unknown API key/,
    );
    const denied = await gw.app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: auth(PLAN_ONLY),
    });
    expectError(denied, 403, 'permission_denied', /may not use scope "models"/, 'scope_denied');
  });

  test('413 beyond the body limits (per route for /v1/plan)', async () => {
    const big = {
      ...plan,
      agentId: 'a'.repeat(100),
      mobile: {
        profiles: Array.from({ length: 10 }, (_, i) => ({
          candidateId: `rb${String(i)}`,
          mobileMs: 1,
          powerMw: 1,
        })),
      },
    };
    expectError(
      await gw.app.inject({ method: 'POST', url: '/v1/plan', payload: big, headers: auth() }),
      413,
      'resource_exhausted',
      /larger than the limit/,
      'body_too_large',
    );
    const inferBig = frame({
      payload: { $case: 'featureFrame', featureFrame: Buffer.alloc(8192) },
    });
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/infer',
      payload: inferBig,
      headers: { ...auth(), 'content-type': 'application/x-protobuf' },
    });
    expectError(res, 413, 'resource_exhausted', /larger than the limit/, 'body_too_large');
  });

  test('429 with Retry-After past the per-key rate', async () => {
    const replies = [];
    for (let i = 0; i < 4; i++)
      replies.push(await gw.app.inject({ method: 'GET', url: '/v1/models', headers: auth(SLOW) }));
    assert.deepEqual(
      replies.map((r) => r.statusCode),
      [200, 200, 429, 429],
    );
    const last = replies[3]!;
    expectError(
      last,
      429,
      'resource_exhausted',
      /rate limit of 2 requests\/s for API key "slow"/,
      'rate_limited',
    );
    assert.equal(last.headers['retry-after'], '1');
  });

  test("unknown routes get a JSON 404; every reply carries a request id (the caller's when safe)", async () => {
    const res = await gw.app.inject({
      method: 'GET',
      url: '/v2/nothing',
      headers: { 'x-request-id': 'abc-123' },
    });
    expectError(res, 404, 'not_found', /no route GET \/v2\/nothing/, 'route_unknown');
    assert.equal(res.headers['x-request-id'], 'abc-123');
    const unsafe = await gw.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'a b\u0001' },
    });
    assert.match(String(unsafe.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('/healthz is 200; /readyz is 503 before any cloud view; /metrics counts requests and rejections', async () => {
    assert.equal((await gw.app.inject({ url: '/healthz' })).statusCode, 200);
    const ready = await gw.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json<{ stale: boolean }>().stale, true);
    // A schema violation on /v1/plan, counted by route and status (the 429s come from the test above).
    const invalid = { ...plan, uplink: { bandwidthMbps: -1, network: '4g' } };
    await gw.app.inject({ method: 'POST', url: '/v1/plan', payload: invalid, headers: auth() });
    const text = (await gw.app.inject({ url: '/metrics' })).body;
    assert.match(
      text,
      /bottlenet_gateway_http_requests_total\{route="\/v1\/plan",status="400"\} \d+/,
    );
    assert.match(text, /bottlenet_gateway_rejected_total\{reason="rate_limited"\} 2/);
    assert.match(text, /bottlenet_gateway_view_stale 1/);
  });
});
