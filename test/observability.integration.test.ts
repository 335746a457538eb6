// Observability against a running mesh: Debian's prometheus (real binary, free port) scrapes real
// processes started by the harness - redis-server, two cloud workers on models/fmnist-tiny, the load
// monitor, the gateway and two mobile agents (services/mobile-agent's daemon entry, on emulated Wi-Fi
// and 3G links) - with deploy/prometheus/rules.yml loaded. After driving traffic (every partition and
// cloud-only through the gateway, agents classifying, a bad frame, requests whose deadline passes in a
// worker, agents whose cloud calls time out), every PromQL expression of the Grafana dashboards and of
// the rules is run through the Prometheus HTTP API and must return data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { InferenceServiceClient, InferRequest } from '@bottlenet/protocol';
import {
  OnnxModelRuntime,
  buildLoadBodies,
  createAgentCodec,
  encodePnm,
} from '@bottlenet/mobile-agent';
import {
  assertNoneRunning,
  cloudWorkerSkipReason,
  freePort,
  redisSkipReason,
  repoRoot,
  startCloudWorker,
  startGateway,
  startLoadMonitor,
  startProcess,
  startRedis,
  stopAll,
  tsNodeArgs,
  TINY_MODEL_DIR,
  type ManagedProcess,
  type RedisHandle,
  type ServiceHandle,
  asBoolComparisons,
  nonEmpty,
  promQuery,
  type PromResult,
  until,
} from './harness/index.js';

const PROMETHEUS = process.env['PROMETHEUS'] ?? '/usr/bin/prometheus';
const KEY = 'observability-key-0123456789';
const RULES = join(repoRoot, 'deploy/prometheus/rules.yml');
const DASHBOARDS = join(repoRoot, 'deploy/grafana/dashboards');

function prometheusSkipReason(): string | undefined {
  try {
    accessSync(PROMETHEUS, constants.X_OK);
    return undefined;
  } catch {
    return `prometheus not found at ${PROMETHEUS} (apt-get install prometheus, or set PROMETHEUS)`;
  }
}

const skip = redisSkipReason() ?? cloudWorkerSkipReason() ?? prometheusSkipReason();

interface Agent {
  readonly process: ManagedProcess;
  readonly url: string;
  readonly network: string;
}

let dir = '';
let redis: RedisHandle | undefined;
const workers: { handle: ServiceHandle; metricsPort: number }[] = [];
let monitor: ServiceHandle | undefined;
let gateway: ServiceHandle | undefined;
const agents: Agent[] = [];
let prom: { process: ManagedProcess; url: string } | undefined;

async function startWorker(id: string): Promise<void> {
  const handle = await startCloudWorker({
    workerId: id,
    env: {
      WORKER_METRICS_ENABLED: 'true',
      WORKER_METRICS_HOST: '127.0.0.1',
      WORKER_METRICS_PORT: '0',
      WORKER_LOG_LEVEL: 'info',
    },
  });
  const line = handle.process.readyMatch?.[0] ?? '';
  const m = /"metricsPort":(\d+)/.exec(line);
  assert.ok(m, `worker ${id} logged no metricsPort: ${line}`);
  workers.push({ handle, metricsPort: Number(m[1]) });
}

/** services/mobile-agent's daemon (src/main.ts) as a child process; ready when it logs its URL. */
async function startAgentProcess(
  name: string,
  network: string,
  config: Record<string, unknown>,
): Promise<void> {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      modelRepo: TINY_MODEL_DIR,
      gatewayUrl: gateway!.url,
      apiToken: KEY,
      deviceId: name,
      api: { host: '127.0.0.1', port: 0 },
      logLevel: 'info',
      ...config,
    }),
  );
  const proc = await startProcess({
    name: `mobile-agent:${name}`,
    command: process.execPath,
    args: tsNodeArgs('services/mobile-agent/src/main.ts'),
    cwd: repoRoot,
    env: { BOTTLENET_AGENT_CONFIG: file },
    ready: { output: /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"agent ready"/ },
    readyTimeoutMs: 90_000,
  });
  agents.push({ process: proc, url: proc.readyMatch![1]!, network });
}

async function startPrometheus(): Promise<void> {
  const targets = (xs: string[], labels: Record<string, string> = {}) => [{ targets: xs, labels }];
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [RULES],
    scrape_configs: [
      {
        job_name: 'cloud-worker',
        static_configs: targets(workers.map((w) => `127.0.0.1:${String(w.metricsPort)}`)),
      },
      { job_name: 'load-monitor', static_configs: targets([monitor!.url.replace('http://', '')]) },
      { job_name: 'gateway', static_configs: targets([gateway!.url.replace('http://', '')]) },
      {
        job_name: 'mobile-agent',
        static_configs: agents.map((a) => ({
          targets: [a.url.replace('http://', '')],
          labels: { network: a.network },
        })),
      },
    ],
  };
  // JSON is YAML: prometheus reads this file as is.
  const file = join(dir, 'prometheus.yml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${String(port)}`;
    try {
      const proc = await startProcess({
        name: 'prometheus',
        command: PROMETHEUS,
        args: [
          `--config.file=${file}`,
          `--storage.tsdb.path=${join(dir, `tsdb-${String(attempt)}`)}`,
          `--web.listen-address=127.0.0.1:${String(port)}`,
          '--log.level=warn',
        ],
        ready: { http: `${url}/-/ready` },
        readyTimeoutMs: 30_000,
      });
      prom = { process: proc, url };
      return;
    } catch (err) {
      if (attempt >= 2 || !/address already in use/.test(String(err))) throw err;
    }
  }
}

const query = (expr: string): Promise<PromResult> => promQuery(prom!.url, expr);

/** A pseudo-random 28 x 28 grey image as binary PGM (what a camera hands the agent's local API). */
function image(seed: number): Uint8Array {
  const pixels = new Uint8Array(28 * 28).map((_, i) =>
    Math.floor(128 + 127 * Math.sin(i * 0.11 + seed)),
  );
  return encodePnm({ pixels, width: 28, height: 28, channels: 1 });
}

/** Requests with a 1 ms budget straight to a worker: their deadline passes inside it (dropped_requests_total). */
async function expireInWorker(address: string, body: InferRequest, n: number): Promise<void> {
  const client = new InferenceServiceClient(address, credentials.createInsecure());
  try {
    await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<void>((resolve) =>
            client.infer({ ...body, timeoutMs: 1 }, new Metadata(), () => resolve()),
          ),
      ),
    );
  } finally {
    client.close();
  }
}

before(async () => {
  if (skip !== undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'bn-observability-'));
  redis = await startRedis();
  await Promise.all([startWorker('obs-w1'), startWorker('obs-w2')]);
  monitor = await startLoadMonitor({
    monitorId: 'obs-monitor',
    redis: { url: redis.url },
    discovery: { static: workers.map((w) => w.handle.url) },
    pollIntervalMs: 200,
    ttlMs: 1500,
  });
  gateway = await startGateway({
    redis: { url: redis.url },
    apiKeys: [{ name: 'obs', key: KEY }],
    modelDirs: [TINY_MODEL_DIR],
  });
  const control = { planIntervalMs: 500, minHoldMs: 300, measureMobileLoad: false };
  await Promise.all([
    // auto planning on emulated Wi-Fi; a slow device so that the cloud candidates win
    startAgentProcess('obs-wifi', 'wifi', {
      link: { preset: 'wifi', emulate: true },
      emulation: { deviceSlowdown: 50 },
      control,
    }),
    // pinned to rb1 on emulated 3G with a budget shorter than the link's round trip: every cloud call
    // misses it and the fallback answers (bottlenet_agent_fallbacks_total)
    startAgentProcess('obs-3g', '3g', {
      strategy: 'rb1',
      link: { preset: '3g', emulate: true, model: 'rtt' },
      control: { ...control, requestTimeoutMs: 20 },
    }),
  ]);
  await startPrometheus();
});

after(async () => {
  await stopAll();
  await redis?.stop();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  assertNoneRunning();
});

test(
  'every dashboard and rule expression returns data from a live mesh',
  { skip, timeout: 180_000 },
  async (t) => {
    const t0 = Date.now();
    // Traffic: bodies for cloud-only and every partition, built with the real heads and codec.
    const rt = await OnnxModelRuntime.open(TINY_MODEL_DIR);
    const pixels = new Uint8Array(28 * 28).map((_, i) => (i * 7) % 256);
    const bodies = await buildLoadBodies(rt, createAgentCodec(), {
      pixels,
      width: 28,
      height: 28,
      channels: 1,
    });
    await rt.close();
    const badFrame = Buffer.from(
      InferRequest.encode({
        model: 'fmnist-tiny',
        version: '',
        partitionId: 'rb1',
        payload: { $case: 'featureFrame', featureFrame: Buffer.from('not a feature frame') },
        timeoutMs: 5000,
        requestId: '',
        topK: 1,
      }).finish(),
    );
    const infer = async (body: Uint8Array): Promise<number> => {
      const res = await fetch(`${gateway!.url}/v1/infer`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${KEY}` },
      });
      await res.arrayBuffer();
      return res.status;
    };
    const classify = async (a: Agent, seed: number): Promise<number> => {
      const res = await fetch(`${a.url}/v1/classify`, {
        method: 'POST',
        body: image(seed),
        headers: { 'content-type': 'image/x-portable-graymap' },
      });
      await res.arrayBuffer();
      return res.status;
    };
    const statuses: Record<string, number> = {};
    const count = (k: string): void => {
      statuses[k] = (statuses[k] ?? 0) + 1;
    };
    const driveUntil = Date.now() + 8000;
    let i = 0;
    while (Date.now() < driveUntil) {
      const round = [
        ...bodies.map((b) => infer(b).then((s) => count(`gateway ${String(s)}`))),
        ...agents.map((a) => classify(a, i).then((s) => count(`${a.network} ${String(s)}`))),
      ];
      if (i % 10 === 0) round.push(infer(badFrame).then((s) => count(`bad frame ${String(s)}`)));
      if (i % 20 === 0)
        round.push(expireInWorker(workers[i % 2]!.handle.url, InferRequest.decode(bodies[1]!), 4));
      await Promise.all(round);
      i++;
    }
    t.diagnostic(`traffic: ${JSON.stringify(statuses)}`);
    assert.ok((statuses['gateway 200'] ?? 0) > 0, JSON.stringify(statuses));
    assert.ok(
      (statuses['bad frame 400'] ?? 0) > 0,
      `a garbage frame is a 400 from the worker: ${JSON.stringify(statuses)}`,
    );

    // Every target up, then a few more scrapes and rule evaluations so that rate() has two samples.
    await until(
      'every target up',
      async () => {
        const r = await query('up');
        const ups = r.data.result as { value: [number, string] }[];
        const allUp =
          ups.length === 2 + workers.length + agents.length && ups.every((u) => u.value[1] === '1');
        return allUp || undefined;
      },
      20_000,
    );
    await new Promise((r) => setTimeout(r, 3500));

    const exprs: { where: string; expr: string }[] = [];
    for (const f of readdirSync(DASHBOARDS).filter((n) => n.endsWith('.json'))) {
      const d = JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8')) as {
        panels: { id: number; title: string; targets?: { refId: string; expr: string }[] }[];
      };
      for (const p of d.panels)
        for (const tg of p.targets ?? [])
          exprs.push({
            where: `${f} panel ${String(p.id)} "${p.title}" ${tg.refId}`,
            expr: tg.expr,
          });
    }
    // The rules as prometheus loaded them (proves rules.yml loaded, and that they evaluate without error).
    const rules = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as {
      data: {
        groups: {
          name: string;
          rules: {
            name: string;
            query: string;
            type: string;
            health: string;
            lastError?: string;
          }[];
        }[];
      };
    };
    let ruleCount = 0;
    const unhealthy: string[] = [];
    for (const g of rules.data.groups) {
      for (const r of g.rules) {
        ruleCount++;
        if (r.health !== 'ok') unhealthy.push(`${r.name}: ${r.health} ${r.lastError ?? ''}`);
        exprs.push({
          where: `rules.yml ${g.name} ${r.name}`,
          expr: r.type === 'alerting' ? asBoolComparisons(r.query) : r.query,
        });
      }
    }
    // every `- record:` / `- alert:` entry of the file, so a rule prometheus drops fails here
    const fileRules = readFileSync(RULES, 'utf8').match(/^\s*- (record|alert):/gm)?.length ?? 0;
    assert.ok(fileRules > 0, 'rules.yml has rules');
    assert.equal(
      ruleCount,
      fileRules,
      `prometheus loaded all ${String(fileRules)} rules of rules.yml`,
    );
    assert.deepEqual(unhealthy, [], 'every rule evaluates');

    const empty: string[] = [];
    // Late series (histograms right after their first observations) get a few more seconds.
    const deadline = Date.now() + 10_000;
    for (;;) {
      empty.length = 0;
      for (const e of exprs) {
        const r = await query(e.expr);
        if (!nonEmpty(r))
          empty.push(`${e.where}: ${e.expr} -> ${r.status} ${r.error ?? 'no series'}`);
      }
      if (empty.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    t.diagnostic(
      `${String(exprs.length)} expressions checked in ${String(Math.round((Date.now() - t0) / 1000))} s after startup`,
    );
    assert.deepEqual(empty, [], 'every expression returns data');
  },
);
