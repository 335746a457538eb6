// The demo's mesh launcher with the embedded load bus instead of redis-server: two cloud workers, the load
// monitor and the gateway as real processes talking to the bus over loopback, one classification answered
// by the cloud through the gateway, and the monitor's summary visible in the bus and through the gateway.
// Runs without redis-server (that is its point); needs models/fmnist-tiny.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { compileAgentConfig } from '../config/index.js';
import { startAgent } from '../daemon.js';
import { startMesh } from './mesh.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const modelDir = `${root}models/fmnist-tiny`;
const skip = existsSync(`${modelDir}/manifest.json`) ? undefined : 'models/fmnist-tiny not present';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(
  'startMesh with the embedded load bus: workers, monitor and gateway come up and serve an inference',
  { skip, timeout: 90_000 },
  async () => {
    const t0 = Date.now();
    const logs: string[] = [];
    const mesh = await startMesh({
      repoRoot: root,
      modelDirs: [modelDir],
      workers: 2,
      loadBus: 'embedded',
      onLog: (s, l) => logs.push(`${s} ${l}`),
    });
    const probe = new Redis(mesh.redisUrl, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    try {
      assert.equal(mesh.embeddedLoadBus, true);
      assert.match(mesh.redisKind, /^EMBEDDED IN-MEMORY LOAD BUS \(fallback: forced by/);
      assert.ok(
        logs.some((l) => /^load-bus WARNING using the embedded in-memory load bus/.test(l)),
        'the fallback is announced',
      );
      // the load monitor's summary lands in the bus ...
      await probe.connect();
      let summary: { healthyWorkers?: number } | undefined;
      for (let i = 0; i < 100 && (summary?.healthyWorkers ?? 0) < 2; i++) {
        const text = await probe.get('bottlenet:cloud');
        summary = text === null ? undefined : (JSON.parse(text) as { healthyWorkers: number });
        if ((summary?.healthyWorkers ?? 0) < 2) await sleep(100);
      }
      assert.equal(summary?.healthyWorkers, 2, 'summary with both workers in the bus');
      assert.equal((await probe.keys('bottlenet:worker:*')).length, 2);
      // ... and the gateway reads it (GET at connect + the change channel)
      let ready: { ready: boolean; workers: number; redis: string; stale: boolean } | undefined;
      for (let i = 0; i < 100 && ready?.ready !== true; i++) {
        ready = (await (await fetch(`${mesh.gatewayUrl}/readyz`)).json()) as typeof ready;
        if (ready?.ready !== true) await sleep(100);
      }
      assert.deepEqual(
        { ready: ready?.ready, workers: ready?.workers, redis: ready?.redis, stale: ready?.stale },
        { ready: true, workers: 2, redis: 'ready', stale: false },
      );
      // one inference through the gateway, answered by the cloud
      const a = await startAgent(
        compileAgentConfig({
          modelRepo: modelDir,
          gatewayUrl: mesh.gatewayUrl,
          apiToken: mesh.apiKey,
          logLevel: 'silent',
          strategy: 'cloud-only',
        }),
      );
      try {
        const pixels = new Uint8Array(28 * 28).map((_, i) => (i * 37) % 256);
        const r = await a.agent.classify({ pixels, width: 28, height: 28, channels: 1 });
        assert.equal(r.answeredBy, 'cloud');
        assert.ok(r.bytesSent > 0);
      } finally {
        await a.close();
      }
      const busLines = logs.filter((l) => l.startsWith('load-bus '));
      assert.deepEqual(
        busLines.filter((l) => /unknown command|protocol error/.test(l)),
        [],
        'every command the services sent is implemented',
      );
      const s = (Date.now() - t0) / 1000;
      assert.ok(s < 60, `took ${s.toFixed(1)} s`);
    } finally {
      probe.disconnect();
      await mesh.stop();
    }
    // the bus is gone with the mesh
    const port = Number(new URL(mesh.redisUrl).port);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(undefined)));
        s.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
  },
);
