// The gateway as a real process, fed by a real load monitor through a real redis-server, routing to
// TEST inference servers (load, failure and deadline scenarios a test controls). Real cloud workers,
// the Redis crash, rejected inputs and SIGTERM: control-plane-gateway-e2e.integration.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import {
  LAST_KNOWN_MS,
  MODEL,
  PREFIX,
  gatewayEnvironment,
  inferBody,
  until,
} from './control-plane-gateway-fixture.js';
import {
  redisSkipReason,
  startTestInferenceServer,
  type TestInferenceServer,
} from './harness/index.js';

describe('gateway over Redis and the load monitor', { skip: redisSkipReason() }, () => {
  const env = gatewayEnvironment();
  const { infer, register, deregister, viewWorkers, gatewaySees, servers } = env;

  describe('with test inference servers', () => {
    let a: TestInferenceServer;
    let b: TestInferenceServer;
    before(async () => {
      a = await startTestInferenceServer({ workerId: 'test-a', model: MODEL });
      b = await startTestInferenceServer({ workerId: 'test-b', model: MODEL });
      servers.push(a, b);
      await register('test-a', a.address);
      await register('test-b', b.address);
      await gatewaySees(2);
    });
    after(async () => {
      await deregister('test-a');
      await deregister('test-b');
      await gatewaySees(0);
    });

    test('routing follows load: the loaded worker gets fewer requests', async () => {
      a.setLoad({ queueDepth: 40, inFlight: 8 });
      await until('the load in the view', async () => {
        const s = JSON.parse((await env.client.get(`${PREFIX}cloud`)) ?? '{}') as {
          workers?: { id: string; queueDepth: number }[];
        };
        return s.workers?.find((w) => w.id === 'test-a')?.queueDepth === 40 ? true : undefined;
      });
      await new Promise((r) => setTimeout(r, 300)); // the gateway's next view refresh
      const before = { a: a.inferCalls, b: b.inferCalls };
      const results = await Promise.all(Array.from({ length: 40 }, () => infer()));
      assert.ok(results.every((r) => r.res.status === 200));
      const toA = a.inferCalls - before.a;
      const toB = b.inferCalls - before.b;
      assert.ok(toB > 3 * toA, `loaded worker got ${String(toA)}, idle worker ${String(toB)}`);
      const r = results[0]!;
      assert.match(
        r.res.headers.get('x-bottlenet-load') ?? '',
        /queueDepth=\d+;inFlight=\d+;capacity=8/,
      );
      // '1' only when the monitor's polls timed out on this loaded host and the view was momentarily
      // empty, so the gateway used the last known workers (the test below covers that case).
      assert.match(r.res.headers.get('x-bottlenet-view-stale') ?? '', /^[01]$/);
      assert.equal(r.reply?.requestId, r.res.headers.get('x-request-id'));
      a.setLoad({ queueDepth: 0, inFlight: 0 });
    });

    test('UNAVAILABLE from a worker is retried once on another worker', async () => {
      b.setLoad({ queueDepth: 40 }); // a is now the first choice
      await new Promise((r) => setTimeout(r, 400));
      a.failInfer(status.UNAVAILABLE, 'draining');
      const bBefore = b.inferCalls;
      const r = await infer();
      assert.equal(r.res.status, 200, JSON.stringify(r.error));
      assert.equal(r.res.headers.get('x-bottlenet-attempts'), '2');
      assert.equal(r.res.headers.get('x-bottlenet-worker'), 'test-b');
      assert.equal(b.inferCalls, bBefore + 1);
      // Both unavailable: the caller gets 503 after two attempts.
      b.failInfer(status.UNAVAILABLE, 'draining too');
      a.failInfer(status.UNAVAILABLE, 'draining');
      await new Promise((r) => setTimeout(r, 2100)); // suspect marks expire
      const both = await infer();
      assert.equal(both.res.status, 503);
      assert.equal(both.error?.code, 'unavailable');
      a.failInfer(undefined);
      b.failInfer(undefined);
      b.setLoad({ queueDepth: 0 });
      const metrics = await (await fetch(`${env.gateway.url}/metrics`)).text();
      assert.match(metrics, /bottlenet_gateway_upstream_retries_total [1-9]/);
    });

    test('worker errors keep their code: RESOURCE_EXHAUSTED is 429, INVALID_ARGUMENT is 400', async () => {
      for (const s of [a, b]) s.failInfer(status.RESOURCE_EXHAUSTED, 'queue full');
      const full = await infer();
      assert.equal(full.res.status, 429);
      assert.equal(full.error?.code, 'resource_exhausted');
      assert.match(full.error?.message ?? '', /queue full/);
      for (const s of [a, b])
        s.failInfer(status.INVALID_ARGUMENT, 'frame shape 1x7x7 does not match 1x14x14');
      const bad = await infer();
      assert.equal(bad.res.status, 400);
      assert.match(bad.error?.message ?? '', /does not match/);
      for (const s of [a, b]) s.failInfer(undefined);
    });

    test('the deadline is propagated, and a budget that runs out is 504', async () => {
      const r = await infer(inferBody({ timeoutMs: 800 }));
      assert.equal(r.res.status, 200);
      const served = [a, b].find((s) => s.workerId === r.res.headers.get('x-bottlenet-worker'))!;
      assert.ok(
        served.lastRequest!.timeoutMs <= 800 && served.lastRequest!.timeoutMs > 700,
        `timeoutMs ${String(served.lastRequest!.timeoutMs)}`,
      );
      assert.ok(
        served.lastDeadlineMs <= 800 && served.lastDeadlineMs > 600,
        `grpc deadline ${String(served.lastDeadlineMs)}`,
      );
      for (const s of [a, b]) s.setInferDelayMs(400);
      const late = await infer(inferBody({ timeoutMs: 100 }));
      assert.equal(late.res.status, 504);
      assert.equal(late.error?.code, 'deadline_exceeded');
      for (const s of [a, b]) s.setInferDelayMs(0);
    });

    test('a dead worker leaves the view and requests go to the others', async () => {
      const c = await startTestInferenceServer({ workerId: 'test-c', model: MODEL });
      servers.push(c);
      await register('test-c', c.address);
      await gatewaySees(3);
      c.kill();
      const results = await Promise.all(Array.from({ length: 20 }, () => infer()));
      assert.deepEqual(
        results.map((r) => r.res.status).filter((s) => s !== 200),
        [],
      );
      await until(
        'test-c gone from the view',
        async () => ((await viewWorkers()).includes('test-c') ? undefined : true),
        3000,
      );
      await deregister('test-c');
    });

    // Last in this group: it takes test-a and test-b away.
    test('a view that suddenly has no workers: the last known ones serve (stale); once gone, 503 no_worker, and at once after the window', async () => {
      await deregister('test-a');
      await deregister('test-b');
      await gatewaySees(0);
      const emptyAt = Date.now();
      const ok = await Promise.all(Array.from({ length: 6 }, () => infer()));
      assert.deepEqual(
        ok.map((r) => r.res.status),
        [200, 200, 200, 200, 200, 200],
        JSON.stringify(ok.map((r) => r.error)),
      );
      assert.ok(
        ok.every((r) => r.res.headers.get('x-bottlenet-view-stale') === '1'),
        'replies from last known workers are marked stale',
      );
      const metrics = await (await fetch(`${env.gateway.url}/metrics`)).text();
      assert.match(metrics, /bottlenet_gateway_last_known_calls_total [1-9]/);
      assert.match(metrics, /bottlenet_gateway_last_known_workers [2-9]/); // test-a, test-b (and test-c, killed above, when it left less than the window ago)
      // The workers are really gone now: the last known ones refuse connections, the caller gets no_worker.
      a.kill();
      b.kill();
      const t0 = Date.now();
      const gone = await infer();
      assert.ok(
        Date.now() - emptyAt < LAST_KNOWN_MS,
        'still inside the window (else this checks the next case)',
      );
      assert.equal(gone.res.status, 503, JSON.stringify(gone.error));
      assert.equal(gone.error?.type, 'no_worker');
      assert.match(gone.error?.message ?? '', /last known one did not answer/);
      assert.ok(Date.now() - t0 < 2000, `no_worker after ${String(Date.now() - t0)} ms`);
      // After the window nothing is tried any more.
      await new Promise((r) =>
        setTimeout(r, Math.max(0, emptyAt + LAST_KNOWN_MS + 100 - Date.now())),
      );
      const t1 = Date.now();
      const empty = await infer();
      assert.equal(empty.res.status, 503);
      assert.equal(empty.error?.type, 'no_worker');
      assert.match(
        empty.error?.message ?? '',
        /^no ready worker serves model "fmnist-tiny" partition "rb1"$/,
      );
      assert.ok(Date.now() - t1 < 1000, `no_worker after ${String(Date.now() - t1)} ms`);
      assert.match(
        await (await fetch(`${env.gateway.url}/metrics`)).text(),
        /bottlenet_gateway_last_known_workers 0/,
      );
    });
  });
});
