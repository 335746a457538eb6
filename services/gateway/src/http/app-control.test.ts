// In-process tests of the gateway's HTTP surface (fastify inject), part 3: the model catalogue, /v1/plan
// without a cloud view and its reply cache, and the OpenAPI document's freshness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatOpenApi, openApiDocument } from '../openapi/openapi-document.js';
import type { Gateway } from '../gateway.js';
import { auth, expectError, plan, testGateway } from '../testing/gateway-fixture.js';

describe('gateway HTTP surface: catalogue, plan, OpenAPI', () => {
  let gw: Gateway;
  before(async () => {
    gw = await testGateway();
  });
  after(() => gw.close());

  test('GET /v1/models lists the repositories with partitions', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/models', headers: auth() });
    assert.equal(res.statusCode, 200);
    const body = res.json<{
      models: {
        name: string;
        partitions: { id: string; quality: number }[];
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
    // the model's codec quality, as neither partition has its own
    assert.deepEqual(
      tiny.partitions.map((p) => p.quality),
      [20, 20],
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
    assert.match(
      (await gw.app.inject({ url: '/metrics' })).body,
      /bottlenet_gateway_plan_cache_lookups_total\{result="hit"\} [1-9]/,
    );
    // The cache is keyed by the exact text: an invalid body stays invalid, a bad one is rejected every time.
    const bad = JSON.stringify({ ...plan, uplink: { bandwidthMbps: -1, network: '4g' } });
    for (let i = 0; i < 2; i++)
      expectError(await send(bad), 400, 'invalid_argument', /bandwidthMbps/, 'validation');
    const unknown = JSON.stringify({ ...plan, model: 'nope' });
    for (let i = 0; i < 2; i++)
      expectError(await send(unknown), 404, 'not_found', /unknown model "nope"/, 'model_unknown');
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
