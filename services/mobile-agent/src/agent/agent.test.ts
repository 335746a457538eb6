import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { MeshError } from '@bottlenet/errors';
import { compileAgentConfig } from '../config/index.js';
import { OnnxModelRuntime, createAgentCodec, encodePnm } from '../runtime/index.js';
import { createHttpApi } from '../api/index.js';
import { loadFmnistTest } from '../testing/index.js';
import { MobileAgent } from './agent.js';

const repoDir = fileURLToPath(new URL('../../../../models/fmnist-tiny', import.meta.url));

async function deadUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

async function makeAgent(
  strategy: string,
  t: { after: (f: () => Promise<void>) => void },
): Promise<MobileAgent> {
  const config = compileAgentConfig({
    modelRepo: repoDir,
    gatewayUrl: await deadUrl(),
    strategy,
    control: { requestTimeoutMs: 500, backoffInitialMs: 50, backoffMaxMs: 200 },
  });
  const runtime = await OnnxModelRuntime.open(repoDir);
  const agent = new MobileAgent({
    config,
    runtime,
    codec: createAgentCodec(),
    logger: pino({ level: 'silent' }),
  });
  t.after(async () => {
    await agent.stop();
    await runtime.close();
  });
  await agent.start();
  return agent;
}

test('with the gateway unreachable, auto keeps mobile-only and every request is answered', async (t) => {
  const agent = await makeAgent('auto', t);
  const { images, labels } = loadFmnistTest(50);
  let correct = 0;
  for (const [i, img] of images.entries()) {
    const r = await agent.classify(img);
    assert.equal(r.answeredBy, 'mobile');
    assert.equal(r.bytesSent, 0);
    if (r.top[0]!.classIndex === labels[i]) correct++;
  }
  assert.ok(correct / images.length > 0.5, `accuracy ${correct / images.length}`);
  const s = agent.status();
  assert.equal(s['gatewayReachable'], false);
  assert.equal(s['candidate'], 'mobile');
});

test('a split whose cloud is gone is answered by the fallback and counted', async (t) => {
  const agent = await makeAgent('rb1', t);
  const { images } = loadFmnistTest(3);
  for (const img of images) {
    const r = await agent.classify(img);
    assert.equal(r.candidate, 'rb1');
    assert.equal(r.answeredBy, 'fallback');
    assert.equal(r.fallbackReason, 'econnrefused');
    assert.ok(r.top.length === 5);
  }
  assert.equal((agent.status()['counts'] as { fallback: number }).fallback, 3);
  const metrics = await agent.metrics.registry.metrics();
  assert.match(metrics, /bottlenet_agent_fallbacks_total\{reason="econnrefused"\} 3/);
});

test('bad strategy and bad images give clear errors; the local API maps them to HTTP', async (t) => {
  const runtime = await OnnxModelRuntime.open(repoDir);
  t.after(() => runtime.close());
  assert.throws(
    () =>
      new MobileAgent({
        config: compileAgentConfig({ modelRepo: repoDir, strategy: 'rb7' }),
        runtime,
        codec: createAgentCodec(),
        logger: pino({ level: 'silent' }),
      }),
    (e: unknown) =>
      e instanceof MeshError &&
      /\/strategy "rb7" is not auto, cloud-only, mobile-only or a partition of fmnist-tiny \(rb1, rb3\)/.test(
        e.message,
      ),
  );
  const agent = await makeAgent('mobile-only', t);
  const app = createHttpApi(agent, { maxImageBytes: 4096 });
  t.after(() => app.close());
  const img = loadFmnistTest(1).images[0]!;
  let res = await app.inject({
    method: 'POST',
    url: '/v1/classify?topK=3',
    payload: Buffer.from(encodePnm(img)),
    headers: { 'content-type': 'image/x-portable-anymap' },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json<{ top: unknown[] }>().top.length, 3);
  const wrong = encodePnm({ pixels: new Uint8Array(32 * 32), width: 32, height: 32, channels: 1 });
  res = await app.inject({
    method: 'POST',
    url: '/v1/classify',
    payload: Buffer.from(wrong),
    headers: { 'content-type': 'image/x-portable-anymap' },
  });
  assert.equal(res.statusCode, 400);
  assert.match(
    res.json<{ message: string }>().message,
    /image is 32x32, the model fmnist-tiny takes 28x28/,
  );
  res = await app.inject({
    method: 'POST',
    url: '/v1/classify',
    payload: Buffer.from('not an image'),
    headers: { 'content-type': 'image/jpeg' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json<{ type: string }>().type, 'image_bad_input');
  res = await app.inject({
    method: 'POST',
    url: '/v1/classify',
    payload: Buffer.alloc(5000, 1),
    headers: { 'content-type': 'image/jpeg' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json<{ type: string }>().type, 'image_too_large');
  res = await app.inject({
    method: 'POST',
    url: '/v1/classify',
    payload: '{}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json<{ type: string }>().type, 'image_missing');
  res = await app.inject({
    method: 'POST',
    url: '/v1/classify?topK=0',
    payload: Buffer.from(encodePnm(img)),
    headers: { 'content-type': 'image/x-portable-anymap' },
  });
  assert.match(res.json<{ message: string }>().message, /topK must be an integer/);
  res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.match(
    res.body,
    /bottlenet_agent_requests_total\{candidate="mobile",answered_by="mobile"\} 1/,
  );
  res = await app.inject({ method: 'GET', url: '/v1/plan' });
  assert.equal(res.json<{ candidate: string }>().candidate, 'mobile');
});
