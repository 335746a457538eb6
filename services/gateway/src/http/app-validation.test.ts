// In-process tests of the gateway's HTTP surface (fastify inject), part 2: every schema violation is a
// 400 naming the field, and every bad /v1/infer input gets its own code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../gateway.js';
import { auth, expectError, frame, plan, testGateway } from '../testing/gateway-fixture.js';

describe('gateway HTTP surface: validation', () => {
  let gw: Gateway;
  before(async () => {
    gw = await testGateway();
  });
  after(() => gw.close());

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
});
