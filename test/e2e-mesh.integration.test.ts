// End-to-end: real redis-server, two cloud workers, the load monitor and the gateway as processes, and
// real agents (onnxruntime heads, codec, emulated uplinks) talking to them over real sockets.
// Model: models/fmnist-tiny on Debian's Fashion-MNIST test set (the images its manifest was measured on).
// Services run from dist/ when built (E2E_FROM_SOURCE=1 runs them from TypeScript sources).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MeshError } from '@bottlenet/errors';
import {
  OnnxModelRuntime,
  buildLoadBodies,
  compileAgentConfig,
  createAgentCodec,
  encodePnm,
  loadFmnistTest,
  startAgent,
  startLoad,
  startMesh,
  type ClassifyResult,
  type Mesh,
  type RunningAgent,
} from '@bottlenet/mobile-agent';
import { redisSkipReason } from './harness/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const modelDir = join(root, 'models/fmnist-tiny');
const skip =
  redisSkipReason() ??
  (existsSync('/usr/share/datasets/fashion-mnist') ? undefined : 'Fashion-MNIST not installed');
let mesh: Mesh | undefined;
const agents: RunningAgent[] = [];

before(async () => {
  if (skip !== undefined) return;
  mesh = await startMesh({
    repoRoot: root,
    modelDirs: [modelDir],
    workers: 2,
    fromSource: process.env['E2E_FROM_SOURCE'] === '1' ? true : undefined,
  });
});

after(async () => {
  for (const a of agents) await a.close();
  await mesh?.stop();
});

async function agent(overrides: Record<string, unknown>): Promise<RunningAgent> {
  const a = await startAgent(
    compileAgentConfig({
      modelRepo: modelDir,
      gatewayUrl: mesh!.gatewayUrl,
      apiToken: mesh!.apiKey,
      logLevel: 'silent',
      ...overrides,
    }),
  );
  agents.push(a);
  return a;
}

async function pool<T>(
  n: number,
  items: readonly T[],
  f: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await f(items[i]!, i);
      }
    }),
  );
}

const manifest = (): {
  baselineAccuracy: number;
  partitions: { id: string; accuracy: number; training: { testSamples?: number } }[];
} => JSON.parse(spawnSync('cat', [join(modelDir, 'manifest.json')]).stdout.toString()) as never;

test(
  'accuracy through the mesh equals the manifest within 0.5 points, for every candidate',
  { skip },
  async () => {
    const m = manifest();
    const n = m.partitions[0]?.training.testSamples ?? 2000;
    const { images, labels } = loadFmnistTest(n);
    const a = await agent({ strategy: 'mobile-only' });
    const want: Record<string, number> = { cloud: m.baselineAccuracy, mobile: m.baselineAccuracy };
    for (const p of m.partitions) want[p.id] = p.accuracy;
    for (const [candidate, expected] of Object.entries(want)) {
      let correct = 0;
      let cloud = 0;
      await pool(8, images, async (img, i) => {
        const r = await a.agent.classify(img, { force: candidate, topK: 1 });
        if (r.top[0]!.classIndex === labels[i]) correct++;
        if (r.answeredBy === 'cloud') cloud++;
      });
      const acc = correct / n;
      if (candidate !== 'mobile')
        assert.equal(cloud, n, `${candidate}: every request answered by the cloud`);
      assert.ok(
        Math.abs(acc - expected) <= 0.005,
        `${candidate}: accuracy ${(acc * 100).toFixed(2)}% vs manifest ${(expected * 100).toFixed(2)}% on ${n} images`,
      );
    }
  },
);

test(
  'under synthetic cloud load the agent moves toward the device, and back after',
  { skip },
  async () => {
    const a = await agent({
      deviceId: 'e2e-switch',
      link: { preset: 'wifi', emulate: true },
      emulation: { deviceSlowdown: 150 },
      // fmnist-tiny is a smoke model whose splits are far below its baseline: switching is what is tested here
      control: {
        planIntervalMs: 400,
        minHoldMs: 300,
        minGain: 0.15,
        measureMobileLoad: false,
        maxAccuracyLossPts: 100,
      },
    });
    const order = (id: string): number =>
      id === 'cloud' ? 0 : id === 'mobile' ? 99 : Number(id.replace(/\D/g, ''));
    const { images } = loadFmnistTest(64);
    const seen: { t: number; c: string }[] = [];
    let running = true;
    const driver = (async () => {
      for (let i = 0; running; i++) {
        const r = await a.agent.classify(images[i % images.length]!);
        seen.push({ t: Date.now(), c: r.candidate });
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    const settle = async (ms: number, until?: (c: string) => boolean): Promise<string> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        await new Promise((res) => setTimeout(res, 200));
        const c = a.agent.status()['candidate'] as string;
        if (until?.(c) === true) return c;
      }
      return a.agent.status()['candidate'] as string;
    };
    try {
      const idle = await settle(3000);
      assert.notEqual(
        idle,
        'mobile',
        `at idle a device ${150}x slower should use the cloud (${JSON.stringify(a.agent.status()['predictions'])})`,
      );
      const rt = await OnnxModelRuntime.open(modelDir);
      const bodies = await buildLoadBodies(rt, createAgentCodec(), images[0]!);
      await rt.close();
      const load = startLoad({
        gatewayUrl: mesh!.gatewayUrl,
        apiKey: mesh!.apiKey,
        bodies,
        concurrency: 64,
      });
      let loaded: string;
      try {
        loaded = await settle(15000, (c) => order(c) > order(idle));
      } finally {
        await load.stop();
      }
      assert.ok(
        order(loaded) > order(idle),
        `under load: ${idle} -> ${loaded} (${load.sent} load requests)`,
      );
      const back = await settle(15000, (c) => order(c) < order(loaded));
      assert.ok(order(back) < order(loaded), `after the load: ${loaded} -> ${back}`);
    } finally {
      running = false;
      await driver;
    }
    assert.ok(seen.length > 20);
  },
);

test(
  'by default the agent never plans a partition more than 2 points below the baseline (Algorithm 1)',
  { skip },
  async () => {
    const m = manifest();
    const floor = m.baselineAccuracy - 0.02;
    const a = await agent({
      deviceId: 'e2e-floor',
      link: { preset: 'wifi', emulate: true },
      emulation: { deviceSlowdown: 150 },
      control: { measureMobileLoad: false },
    });
    await a.agent.replan('test');
    const ids = ((a.agent.status()['predictions'] as { id: string }[] | undefined) ?? []).map(
      (p) => p.id,
    );
    assert.ok(ids.includes('cloud') && ids.includes('mobile'), `predictions: ${ids.join(', ')}`);
    for (const p of m.partitions) {
      assert.equal(
        ids.includes(p.id),
        p.accuracy >= floor,
        `${p.id} (${(p.accuracy * 100).toFixed(1)}% vs floor ${(floor * 100).toFixed(1)}%) in ${ids.join(', ')}`,
      );
    }
  },
);

test('bad images and bad config give clear errors', { skip }, async (t) => {
  assert.throws(
    () => compileAgentConfig({ modelRepo: modelDir, link: { preset: '5g' } }),
    (e: unknown) => e instanceof MeshError && /config field \/link\/preset/.test(e.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'bn-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'agent.json');
  writeFileSync(bad, JSON.stringify({ modelRepo: modelDir, control: { planIntervalMs: -5 } }));
  const cli = join(root, 'services/mobile-agent/src/cli.ts');
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', cli, 'run', '--config', bad],
    { cwd: root, encoding: 'utf8', timeout: 60000 },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /config field \/control\/planIntervalMs must be > 0/);
  writeFileSync(bad, JSON.stringify({ modelRepo: join(dir, 'nowhere') }));
  const r2 = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', cli, 'run', '--config', bad],
    { cwd: root, encoding: 'utf8', timeout: 60000 },
  );
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /no model repository at .*nowhere/);

  const a = await agent({ strategy: 'rb3' });
  const post = (body: Uint8Array, type: string): Promise<Response> =>
    fetch(`${a.url}/v1/classify`, { method: 'POST', body, headers: { 'content-type': type } });
  let res = await post(Buffer.from('definitely not a picture'), 'image/jpeg');
  assert.equal(res.status, 400);
  assert.match(
    ((await res.json()) as { message: string }).message,
    /neither a JPEG nor a binary PGM\/PPM/,
  );
  res = await post(
    encodePnm({ pixels: new Uint8Array(64 * 64 * 3), width: 64, height: 64, channels: 3 }),
    'image/x-portable-pixmap',
  );
  assert.equal(res.status, 400);
  assert.match(
    ((await res.json()) as { message: string }).message,
    /image is 64x64, the model fmnist-tiny takes 28x28/,
  );
  const img = loadFmnistTest(1).images[0]!;
  res = await post(encodePnm(img), 'image/x-portable-graymap');
  assert.equal(res.status, 200);
  const ok = (await res.json()) as ClassifyResult;
  assert.equal(ok.candidate, 'rb3');
  assert.equal(ok.answeredBy, 'cloud');
});

test('a worker killed and the gateway restarted mid-run lose no request', { skip }, async () => {
  const a = await agent({
    strategy: 'rb3',
    control: {
      requestTimeoutMs: 1500,
      planIntervalMs: 500,
      backoffInitialMs: 100,
      backoffMaxMs: 400,
    },
  });
  const { images } = loadFmnistTest(300);
  let phase: 'before' | 'worker-killed' | 'gateway-restart' | 'after' = 'before';
  const results: { phase: string; r: ClassifyResult }[] = [];
  let failures = 0;
  const run = pool(4, images, async (img) => {
    try {
      const r = await a.agent.classify(img);
      results.push({ phase, r });
    } catch {
      failures++;
    }
  });
  const until = async (n: number): Promise<void> => {
    while (results.length < n) await new Promise((r) => setTimeout(r, 20));
  };
  await until(60);
  phase = 'worker-killed';
  await mesh!.killWorker(1);
  await until(140);
  phase = 'gateway-restart';
  await mesh!.restartGateway({ downMs: 1000 });
  phase = 'after';
  await run;
  assert.equal(failures, 0);
  assert.equal(results.length, images.length, 'every request answered');
  const count = (ph: string, by: string): number =>
    results.filter((x) => x.phase === ph && x.r.answeredBy === by).length;
  const summary = ['before', 'worker-killed', 'gateway-restart', 'after']
    .map((ph) => `${ph}: cloud ${count(ph, 'cloud')} fallback ${count(ph, 'fallback')}`)
    .join('; ');
  assert.ok(count('worker-killed', 'cloud') > 0, `the surviving worker kept serving (${summary})`);
  assert.ok(
    count('gateway-restart', 'fallback') > 0,
    `the gateway outage was answered by the fallback (${summary})`,
  );
  let last = await a.agent.classify(images[0]!);
  for (let i = 0; i < 50 && last.answeredBy !== 'cloud'; i++) {
    await new Promise((r) => setTimeout(r, 100)); // the restarted gateway rebuilds its view of the workers from Redis
    last = await a.agent.classify(images[0]!);
  }
  assert.equal(
    last.answeredBy,
    'cloud',
    `the cloud is used again once the gateway is back (${summary})`,
  );
  assert.ok(
    (a.agent.status()['counts'] as { fallback: number }).fallback >=
      count('gateway-restart', 'fallback'),
  );
});
