// In-process tests of the gateway's HTTP surface (fastify inject): auth, limits, schemas, error codes,
// catalogue, plan without a cloud view, OpenAPI freshness. Routing over real Redis and real workers is
// in test/control-plane-gateway.integration.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { InferRequest } from '@bottlenet/protocol';
import { compileGatewayConfig } from '../config/compile.js';
import { createGateway, type Gateway } from '../gateway.js';
import { formatOpenApi, openApiDocument } from '../openapi/openapi-document.js';

const MODELS = fileURLToPath(new URL('../../../../models', import.meta.url));
const KEY = 'k-all-0123456789abcdef';
const PLAN_ONLY = 'k-plan-0123456789abcdef';
const SLOW = 'k-slow-0123456789abcdef';

const auth = (key = KEY) => ({ authorization: `Bearer ${key}` });
const plan = {
  model: 'fmnist-tiny',
  uplink: { bandwidthMbps: 5.85, network: '4g' },
  objective: 'OBJECTIVE_LATENCY',
};
const frame = (over: Partial<InferRequest> = {}): Buffer =>
  Buffer.from(
    InferRequest.encode({
      model: 'fmnist-tiny',
      version: '',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: Buffer.from([1, 2, 3]) },
      timeoutMs: 1000,
      requestId: '',
      topK: 0,
      ...over,
    }).finish(),
  );

describe('gateway HTTP surface', () => {
  let gw: Gateway;
  before(async () => {
    gw = await createGateway({
      config: compileGatewayConfig({
        // Nothing listens here: the view stays empty (Redis is never contacted: listen() is not called).
        redis: { url: 'redis://127.0.0.1:1' },
        apiKeys: [
          { name: 'all', key: KEY },
          { name: 'plan-only', key: PLAN_ONLY, scopes: ['plan'] },
          { name: 'slow', key: SLOW, ratePerSecond: 2 },
        ],
        limits: { bodyLimitBytes: 4096, planBodyLimitBytes: 512 },
        modelDirs: [MODELS],
        logLevel: 'silent',
      }),
      logger: pino({ level: 'silent' }),
    });
    await gw.app.ready();
  });
  after(() => gw.close());

  const expectError = (
    res: { statusCode: number; json(): unknown; headers: Record<string, unknown> },
    status: number,
    code: string,
    message: RegExp,
    type?: string,
  ) => {
    assert.equal(res.statusCode, status, JSON.stringify(res.json()));
    const body = res.json() as { code: string; message: string; type?: string };
    assert.equal(body.code, code);
    assert.match(body.message, message);
    if (type !== undefined) assert.equal(body.type, type);
  };

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

  test('400 names the field for every schema violation', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...plan, model: undefined }, /body must have required property 'model'/],
      [
        { ...plan, uplink: { ...plan.uplink, bandwidthMbps: 0 } },
        /body\/uplink\/bandwidthMbps must be > 0/,
      ],
      [
        { ...plan, uplink: { ...plan.uplink, bandwidthMbps: '5' } },
        /body\/uplink\/bandwidthMbps must be number/,
      ],
      [{ ...plan, objective: 'fast' }, /body\/objective/],
      [{ ...plan, uplink: { ...plan.uplink, network: '5g' } }, /body\/uplink\/network/],
      [{ ...plan, mobile: { load: 2 } }, /body\/mobile\/load must be <= 1/],
      [{ ...plan, modle: 'x' }, /body must NOT have additional properties/],
      [
        { ...plan, uplink: { ...plan.uplink, network: 'custom' } },
        /body\/uplink\/alphaMwPerMbps and body\/uplink\/betaMw are required/,
      ],
    ];
    for (const [payload, message] of cases) {
      expectError(
        await gw.app.inject({
          method: 'POST',
          url: '/v1/plan',
          payload: payload as object,
          headers: auth(),
        }),
        400,
        'invalid_argument',
        message,
        'validation',
      );
    }
    const badJson = await gw.app.inject({
      method: 'POST',
      url: '/v1/plan',
      payload: '{"model":',
      headers: { ...auth(), 'content-type': 'application/json' },
    });
    expectError(badJson, 400, 'invalid_argument', /not valid JSON/, 'bad_json');
    const badQuery = await gw.app.inject({
      method: 'GET',
      url: '/v1/models?nmae=x',
      headers: auth(),
    });
    expectError(
      badQuery,
      400,
      'invalid_argument',
      /querystring must NOT have additional properties/,
    );
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

  test('GET /v1/models lists the repositories with partitions', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/models', headers: auth() });
    assert.equal(res.statusCode, 200);
    const body = res.json<{
      models: {
        name: string;
        partitions: { id: string }[];
        cloudOnly: boolean;
        numClasses: number;
      }[];
    }>();
    const tiny = body.models.find((m) => m.name === 'fmnist-tiny');
    assert.ok(tiny);
    assert.deepEqual(
      tiny.partitions.map((p) => p.id),
      ['rb1', 'rb3'],
    );
    assert.equal(tiny.numClasses, 10);
    assert.equal(tiny.cloudOnly, false); // no worker in the (empty) view
    const filtered = await gw.app.inject({
      method: 'GET',
      url: '/v1/models?name=none',
      headers: auth(),
    });
    assert.deepEqual(filtered.json(), { models: [] });
  });

  test('POST /v1/plan without a cloud view: stale, only mobile-only is eligible; unknown model is 404', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/plan',
      payload: plan,
      headers: auth(),
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{
      chosen: { candidateId: string; kind: string };
      cloud: { stale: boolean };
      switch: boolean;
      candidates: unknown[];
    }>();
    assert.equal(body.cloud.stale, true);
    assert.equal(body.chosen.candidateId, 'mobile');
    assert.equal(body.chosen.kind, 'CANDIDATE_KIND_MOBILE_ONLY');
    assert.equal(body.switch, true);
    assert.equal(res.headers['x-bottlenet-view-stale'], '1');
    const unknown = await gw.app.inject({
      method: 'POST',
      url: '/v1/plan',
      payload: { ...plan, model: 'nope' },
      headers: auth(),
    });
    expectError(unknown, 404, 'not_found', /unknown model "nope"/, 'model_unknown');
    const badVersion = await gw.app.inject({
      method: 'POST',
      url: '/v1/plan',
      payload: { ...plan, version: '9' },
      headers: auth(),
    });
    expectError(badVersion, 404, 'not_found', /has no version "9"/, 'version_unknown');
  });

  test('POST /v1/plan: a repeated body is answered from the cache (same reply, fresh generatedAtMs); errors are never cached', async () => {
    const text = JSON.stringify({ ...plan, currentCandidateId: 'rb1' });
    const send = (payload: string) =>
      gw.app.inject({
        method: 'POST',
        url: '/v1/plan',
        payload,
        headers: { ...auth(), 'content-type': 'application/json' },
      });
    const first = await send(text);
    await new Promise((r) => setTimeout(r, 5));
    const second = await send(text);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(second.statusCode, 200, second.body);
    assert.match(String(second.headers['content-type']), /^application\/json/);
    assert.equal(second.headers['x-bottlenet-view-stale'], '1');
    const a = first.json<{ generatedAtMs: number }>();
    const b = second.json<{ generatedAtMs: number }>();
    assert.ok(b.generatedAtMs > a.generatedAtMs, 'generatedAtMs is the time of each answer');
    assert.deepEqual({ ...b, generatedAtMs: 0 }, { ...a, generatedAtMs: 0 });
    // The cache is keyed by the exact text: an invalid body stays invalid, a bad one is rejected every time.
    const bad = JSON.stringify({ ...plan, uplink: { bandwidthMbps: -1, network: '4g' } });
    for (let i = 0; i < 2; i++)
      expectError(await send(bad), 400, 'invalid_argument', /bandwidthMbps/, 'validation');
    const unknown = JSON.stringify({ ...plan, model: 'nope' });
    for (let i = 0; i < 2; i++)
      expectError(await send(unknown), 404, 'not_found', /unknown model "nope"/, 'model_unknown');
  });

  test('POST /v1/infer rejects each bad input with its code', async () => {
    const post = (payload: Buffer | string, contentType = 'application/x-protobuf') =>
      gw.app.inject({
        method: 'POST',
        url: '/v1/infer',
        payload,
        headers: { ...auth(), 'content-type': contentType },
      });
    expectError(
      await post('{}', 'application/json'),
      400,
      'invalid_argument',
      /content-type must be application\/x-protobuf/,
      'unsupported_media_type',
    );
    expectError(
      await post('<x/>', 'text/xml'),
      415,
      'invalid_argument',
      /Unsupported Media Type/i,
      'unsupported_media_type',
    );
    expectError(
      await post(Buffer.from([0x0a, 0xff, 0xff])),
      400,
      'invalid_argument',
      /not a protobuf InferRequest/,
      'bad_protobuf',
    );
    expectError(
      await post(frame({ model: '' })),
      400,
      'invalid_argument',
      /body\/model is required/,
      'validation',
    );
    expectError(
      await post(frame({ partitionId: '' })),
      400,
      'invalid_argument',
      /body\/partitionId is required/,
    );
    expectError(
      await post(frame({ payload: undefined })),
      400,
      'invalid_argument',
      /body\/payload is required/,
    );
    expectError(
      await post(frame({ partitionId: 'cloud' })),
      400,
      'invalid_argument',
      /body\/inputImage is required/,
    );
    expectError(
      await post(frame({ partitionId: 'rb9' })),
      404,
      'not_found',
      /has no partition "rb9"/,
      'partition_unknown',
    );
    expectError(await post(frame({ model: 'nope' })), 404, 'not_found', /unknown model "nope"/);
    const none = await post(frame());
    expectError(
      none,
      503,
      'unavailable',
      /no ready worker serves model "fmnist-tiny" partition "rb1"/,
      'no_worker',
    );
    assert.equal(none.headers['retry-after'], '1');
  });

  test('/healthz is 200; /readyz is 503 before any cloud view; /metrics counts requests and rejections', async () => {
    assert.equal((await gw.app.inject({ url: '/healthz' })).statusCode, 200);
    const ready = await gw.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json<{ stale: boolean }>().stale, true);
    const text = (await gw.app.inject({ url: '/metrics' })).body;
    assert.match(
      text,
      /bottlenet_gateway_http_requests_total\{route="\/v1\/plan",status="400"\} \d+/,
    );
    assert.match(text, /bottlenet_gateway_rejected_total\{reason="rate_limited"\} 2/);
    assert.match(text, /bottlenet_gateway_view_stale 1/);
  });

  test('the checked-in openapi.json is current, and /openapi.json serves it', async () => {
    const file = fileURLToPath(new URL('../../openapi.json', import.meta.url));
    const expected = formatOpenApi(await openApiDocument());
    assert.equal(
      readFileSync(file, 'utf8'),
      expected,
      'services/gateway/openapi.json is stale: run `pnpm --filter @bottlenet/gateway run openapi`',
    );
    const served = await gw.app.inject({ url: '/openapi.json' });
    assert.deepEqual(Object.keys(served.json<{ paths: object }>().paths).sort(), [
      '/v1/infer',
      '/v1/models',
      '/v1/plan',
    ]);
  });
});
