// The in-process gateway the HTTP surface tests share (fastify inject): three API keys, small body
// limits, the checked-in model repositories, and no cloud view (Redis is never contacted: listen() is
// not called). Routing over real Redis and real workers is in test/control-plane-gateway-*.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { InferRequest } from '@bottlenet/protocol';
import { compileGatewayConfig } from '../config/compile.js';
import { createGateway, type Gateway } from '../gateway.js';

export const MODELS = fileURLToPath(new URL('../../../../models', import.meta.url));
/** Every scope, the default rate. */
export const KEY = 'k-all-0123456789abcdef';
/** Scope `plan` only. */
export const PLAN_ONLY = 'k-plan-0123456789abcdef';
/** 2 requests/s. */
export const SLOW = 'k-slow-0123456789abcdef';

export const auth = (key = KEY) => ({ authorization: `Bearer ${key}` });
export const plan = {
  model: 'fmnist-tiny',
  uplink: { bandwidthMbps: 5.85, network: '4g' },
  objective: 'OBJECTIVE_LATENCY',
};
export const frame = (over: Partial<InferRequest> = {}): Buffer =>
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

/** A ready in-process gateway with the keys and limits above (bodies: 4 KiB, plan 512 B). */
export async function testGateway(): Promise<Gateway> {
  const gw = await createGateway({
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
  return gw;
}

/** Asserts an error reply: status, `code`, a message matching `message`, and `type` when given. */
export const expectError = (
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
