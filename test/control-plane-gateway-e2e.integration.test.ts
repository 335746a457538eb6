// The gateway as a real process, fed by a real load monitor through a real redis-server, routing to
// real cloud workers running the shipped tiny model (end to end, and through a Redis crash); rejected
// inputs over real HTTP; SIGTERM with a request in flight. Routing scenarios with test inference
// servers: control-plane-gateway-routing.integration.test.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  KEY,
  MODEL,
  gatewayEnvironment,
  inferBody,
  rb1Frame,
  until,
} from './control-plane-gateway-fixture.js';
import {
  cloudWorkerSkipReason,
  redisSkipReason,
  startCloudWorker,
  startTestInferenceServer,
} from './harness/index.js';

describe('gateway over Redis and the load monitor', { skip: redisSkipReason() }, () => {
  const env = gatewayEnvironment();
  const { infer, register, gatewaySees, servers } = env;

  describe('with real cloud workers', { skip: cloudWorkerSkipReason() }, () => {
    before(async () => {
      const [w1, w2] = await Promise.all([
        startCloudWorker({ workerId: 'w1' }),
        startCloudWorker({ workerId: 'w2' }),
      ]);
      await register('w1', w1.url);
      await register('w2', w2.url);
      await gatewaySees(2);
    });

    test('end to end: a real frame through the gateway to a real worker, JSON or protobuf', async () => {
      const r = await infer(inferBody({ requestId: 'e2e-1' }));
      assert.equal(r.res.status, 200, JSON.stringify(r.error));
      assert.equal(r.reply?.requestId, 'e2e-1');
      assert.equal(r.reply?.topK.length, 3);
      assert.ok(['w1', 'w2'].includes(r.reply.workerId));
      assert.equal(r.reply?.load?.workerId, r.reply?.workerId);
      const json = await infer(inferBody(), { accept: 'application/json' });
      assert.equal(json.res.status, 200);
      const body = JSON.parse(json.bytes.toString()) as { topK: unknown[]; partitionId: string };
      assert.equal(body.partitionId, 'rb1');
      const planBody = JSON.stringify({
        model: MODEL,
        uplink: { bandwidthMbps: 1.1, network: '3g' },
        objective: 'OBJECTIVE_LATENCY',
        currentCandidateId: 'rb1',
      });
      const plan = await fetch(`${env.gateway.url}/v1/plan`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: planBody,
      });
      assert.equal(plan.status, 200);
      const p = (await plan.json()) as {
        cloud: { healthyWorkers: number; stale: boolean; partitions: { partitionId: string }[] };
        chosen: { candidateId: string };
        runnerUp?: { candidateId: string };
      };
      assert.equal(p.cloud.healthyWorkers, 2);
      assert.equal(p.cloud.stale, false);
      assert.ok(p.cloud.partitions.some((x) => x.partitionId === 'rb1'));
      assert.ok(p.runnerUp !== undefined && p.runnerUp.candidateId !== p.chosen.candidateId);
      // A plan with a runner-up is cached too: the same body again within one view version is a hit (the
      // view changes every refresh here, so a pair of requests may straddle a change: retried).
      const hits = async (): Promise<number> => {
        const text = await (await fetch(`${env.gateway.url}/metrics`)).text();
        const m = /bottlenet_gateway_plan_cache_lookups_total\{result="hit"\} (\d+)/.exec(text);
        return Number(m?.[1] ?? 0);
      };
      const before = await hits();
      await until('a plan cache hit on the live view', async () => {
        for (let i = 0; i < 2; i++) {
          const again = await fetch(`${env.gateway.url}/v1/plan`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: planBody,
          });
          assert.equal(again.status, 200);
          await again.arrayBuffer();
        }
        return (await hits()) > before ? true : undefined;
      });
    });

    test('Redis killed and restarted mid-stream loses no request; replies and /readyz say stale meanwhile', async () => {
      // The stream runs until the outage is over (and at least `minTotal` requests), so requests are
      // in flight during it however fast this machine answers them.
      const minTotal = 120;
      const statuses: number[] = [];
      let staleReplies = 0;
      let sawStaleReadyz = false;
      let outageOver = false;
      let sent = 0;
      const runner = async () => {
        while (sent < minTotal || !outageOver) {
          sent++;
          const r = await infer(
            inferBody({ payload: { $case: 'featureFrame', featureFrame: rb1Frame(sent) } }),
          );
          statuses.push(r.res.status);
          if (r.res.headers.get('x-bottlenet-view-stale') === '1') staleReplies++;
        }
      };
      const chaos = async () => {
        try {
          await until('a few requests', () => (sent >= 20 ? true : undefined));
          await env.redis.kill();
          await until('stale readyz', async () => {
            const r = await fetch(`${env.gateway.url}/readyz`);
            const b = (await r.json()) as { stale: boolean };
            if (r.status === 200 && b.stale) sawStaleReadyz = true;
            return sawStaleReadyz ? true : undefined;
          });
          const metrics = await (await fetch(`${env.gateway.url}/metrics`)).text();
          assert.match(metrics, /bottlenet_gateway_view_stale 1/);
          const atStale = sent;
          await until(
            'more requests during the outage',
            () => (sent >= atStale + 50 ? true : undefined),
            30_000,
          );
          await env.redis.restart();
        } finally {
          outageOver = true;
        }
      };
      await Promise.all([runner(), runner(), chaos()]);
      assert.equal(statuses.length, sent);
      assert.ok(sent >= minTotal);
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
        'every request answered 200',
      );
      assert.ok(staleReplies > 0, 'some replies were marked stale');
      assert.ok(sawStaleReadyz);
      // The monitor republishes into the new Redis (workers re-register) and the view turns fresh again.
      await until(
        'fresh view',
        async () => {
          const b = (await (await fetch(`${env.gateway.url}/readyz`)).json()) as { stale: boolean };
          return b.stale ? undefined : true;
        },
        20_000,
      );
    });
  });

  test('rejected inputs over real HTTP get their codes', async () => {
    const noKey = await fetch(`${env.gateway.url}/v1/models`);
    assert.equal(noKey.status, 401);
    const badBody = await infer(Buffer.from([0xff, 0xff, 0xff]));
    assert.equal(badBody.res.status, 400);
    const unknownPartition = await infer(inferBody({ partitionId: 'rb7' }));
    assert.equal(unknownPartition.res.status, 404);
    const tooBig = await infer(Buffer.alloc(2 * 1024 * 1024));
    assert.equal(tooBig.res.status, 413);
  });

  test('SIGTERM: requests in progress finish on their keep-alive connection, then the gateway exits 0 at once', async () => {
    const s = await startTestInferenceServer({ workerId: 'slow', model: MODEL, inferDelayMs: 500 });
    servers.push(s);
    await register('slow', s.address);
    await until(
      'slow worker routable',
      async () => {
        const r = await infer(inferBody({ timeoutMs: 3000 }));
        return r.res.status === 200 && r.res.headers.get('x-bottlenet-worker') === 'slow'
          ? true
          : undefined;
      },
      20_000,
    );
    // An explicit keep-alive connection: once its request is answered it stays open (idle) unless
    // the gateway closes it, and a listener with an open connection never finishes closing.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const inFlight = postKeepAlive(
      agent,
      `${env.gateway.url}/v1/infer`,
      inferBody({ timeoutMs: 3000 }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const exit = env.gateway.process.stop();
    const status = await inFlight;
    const answeredAt = Date.now();
    assert.equal(status, 200);
    assert.equal((await exit).code, 0);
    const exitMs = Date.now() - answeredAt;
    agent.destroy();
    assert.ok(exitMs < 3000, `exited ${String(exitMs)} ms after the last answer (limit 3000)`);
  });
});

function postKeepAlive(agent: http.Agent, url: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${KEY}`,
          'content-type': 'application/x-protobuf',
          'content-length': String(body.length),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
