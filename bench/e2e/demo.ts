// The one-command demo (`pnpm demo`): a whole mesh on this machine, three agents on emulated 3G / 4G /
// Wi-Fi uplinks classifying held-out scenes with the paper-shaped model, live decisions, a congested
// cloud, and a summary table. Ends by itself in under 2 minutes. Options (env): DEMO_MODEL (models/
// folder), DEMO_SLOWDOWN (device emulated N x slower than this host, default 30), DEMO_LINK_MODEL
// (paper | rtt), DEMO_SECONDS (total budget, default 110).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  OnnxModelRuntime,
  buildLoadBodies,
  compileAgentConfig,
  createAgentCodec,
  loadHeldOut,
  measureCandidate,
  startAgent,
  startLoad,
  startMesh,
  type CandidateStats,
  type ClassifyResult,
  type Decision,
  type RunningAgent,
} from '@bottlenet/mobile-agent';

const root = fileURLToPath(new URL('../..', import.meta.url));
const t0 = Date.now();
const budgetMs = Number(process.env['DEMO_SECONDS'] ?? 110) * 1000;
const slowdown = Number(process.env['DEMO_SLOWDOWN'] ?? 30);
const linkModel = process.env['DEMO_LINK_MODEL'] === 'rtt' ? 'rtt' : 'paper';
const preferred = ['scenes-resnet50-slim', 'fmnist-resnet-small'];
const modelName =
  process.env['DEMO_MODEL'] ??
  preferred.find((m) => existsSync(join(root, 'models', m, 'manifest.json')));
const out = (s: string): void => void process.stdout.write(`${s}\n`);
const clock = (): string => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const left = (): number => budgetMs - (Date.now() - t0);

if (modelName === undefined) {
  out(`demo: none of models/{${preferred.join(',')}} is present`);
  process.exit(1);
}
const modelDir = join(root, 'models', modelName);
out(
  `BottleNet mesh demo: model ${modelName}${modelName !== preferred[0] ? ` (NOTE: ${preferred[0]} not present)` : ''}`,
);
out(
  `  device: this host's CPU emulated ${slowdown}x slower (a stand-in for a Jetson-class board); link model: ${linkModel === 'paper' ? "the paper's (bandwidth only, Table 3)" : 'Table 3 bandwidth + RTT 3G 100 / 4G 50 / Wi-Fi 10 ms'}`,
);
out(`${clock()} starting redis, 2 cloud workers, the load monitor and the gateway ...`);
const mesh = await startMesh({ repoRoot: root, modelDirs: [modelDir], workers: 2 });
out(
  `${clock()} cloud up: ${mesh.redisKind} at ${mesh.redisUrl}, workers ${mesh.workerAddresses.join(', ')}, gateway ${mesh.gatewayUrl}`,
);

const nets = ['3g', '4g', 'wifi'] as const;
const agents = new Map<string, RunningAgent>();
let stopAll = false;
const drivers: Promise<void>[] = [];
const phaseResults = new Map<string, ClassifyResult[]>();
let phase = 'calm';
try {
  for (const net of nets) {
    const a = await startAgent(
      compileAgentConfig({
        modelRepo: modelDir,
        gatewayUrl: mesh.gatewayUrl,
        apiToken: mesh.apiKey,
        deviceId: `agent-${net}`,
        logLevel: 'silent',
        link: { preset: net, emulate: true, model: linkModel },
        emulation: { deviceSlowdown: slowdown },
        control: { planIntervalMs: 1000, minHoldMs: 1500, minGain: 0.15, measureMobileLoad: false },
      }),
    );
    agents.set(net, a);
    a.agent.on('switch', (s: { from: string; to: string; why: string; reason: string }) =>
      out(`${clock()} ${net.padEnd(4)} switch ${s.from} -> ${s.to}: ${s.why} (${s.reason})`),
    );
  }
  const first = agents.get('3g')!.agent;
  const data = loadHeldOut(first.model, root, 120);
  out(`${clock()} 3 agents up; classifying ${data.images.length} ${data.source}`);
  for (const [net, a] of agents) {
    drivers.push(
      (async () => {
        for (let i = 0; !stopAll; i++) {
          const k = (i * 7 + net.length) % data.images.length;
          const r = await a.agent.classify(data.images[k]!);
          const key = `${phase}:${net}`;
          (phaseResults.get(key) ?? phaseResults.set(key, []).get(key)!).push(r);
          await sleep(60);
        }
      })(),
    );
  }
  const show = (): void => {
    const parts = nets.map((net) => {
      const a = agents.get(net)!.agent;
      const s = a.status();
      const d = s['lastDecision'] as Decision | undefined;
      const preds = (s['predictions'] as { id: string; latencyMs: number }[] | undefined) ?? [];
      const p = preds.find((x) => x.id === s['candidate']);
      const rs = phaseResults.get(`${phase}:${net}`) ?? [];
      const last = rs.slice(-10);
      const lat = last.length ? last.reduce((x, r) => x + r.latencyMs, 0) / last.length : 0;
      return `${net}: ${String(s['candidate']).padEnd(6)} pred ${p ? p.latencyMs.toFixed(0) : '?'}ms got ${lat.toFixed(0)}ms${d ? ` (${d.why})` : ''}`;
    });
    const cloud = agents.get('wifi')!.agent.status()['cloud'] as
      | { loadLevel?: number; partitions?: { partitionId: string; expectedCloudMs: number }[] }
      | undefined;
    const cl = (cloud?.partitions ?? [])
      .map((p) => `${p.partitionId}:${p.expectedCloudMs.toFixed(0)}`)
      .join(' ');
    out(`${clock()} [${phase}] ${parts.join(' | ')}`);
    out(`${clock()}          cloud expected ms ${cl}`);
  };
  // Phase 1: calm
  const calmMs = Math.min(20000, left() * 0.2);
  for (let t = 0; t < calmMs; t += 2500) {
    await sleep(2500);
    show();
  }
  // Phase 2: congest the cloud
  phase = 'congested';
  const rt = await OnnxModelRuntime.open(modelDir);
  const bodies = await buildLoadBodies(rt, createAgentCodec(), data.images[0]!);
  await rt.close();
  out(`${clock()} CONGESTING the cloud: 48 concurrent synthetic requests over every partition`);
  const load = startLoad({
    gatewayUrl: mesh.gatewayUrl,
    apiKey: mesh.apiKey,
    bodies,
    concurrency: 48,
  });
  const congestMs = Math.min(22000, left() * 0.3);
  for (let t = 0; t < congestMs; t += 2500) {
    await sleep(2500);
    show();
  }
  await load.stop();
  out(`${clock()} RELEASED the cloud (${load.sent} synthetic requests sent)`);
  phase = 'released';
  const releaseMs = Math.min(15000, left() * 0.3);
  for (let t = 0; t < releaseMs; t += 2500) {
    await sleep(2500);
    show();
  }
  stopAll = true;
  await Promise.all(drivers);
  // Phase 4: the comparison on the same images
  const n = Math.max(8, Math.min(30, Math.floor(left() / 1000 / 3)));
  out(
    `${clock()} measuring BottleNet's choice, cloud-only and mobile-only on the same ${n} held-out images per network ...`,
  );
  const table: {
    net: string;
    chosen: string;
    b: CandidateStats;
    c: CandidateStats;
    m: CandidateStats;
  }[] = [];
  for (const net of nets) {
    const a = agents.get(net)!.agent;
    await a.replan('summary');
    const chosen =
      (a.status()['pending'] as string | undefined) ?? (a.status()['candidate'] as string);
    const imgs = data.images.slice(0, n);
    const labs = data.labels.slice(0, n);
    const b = await measureCandidate(a, chosen, imgs, labs);
    const c = chosen === 'cloud' ? b : await measureCandidate(a, 'cloud', imgs, labs);
    const m = chosen === 'mobile' ? b : await measureCandidate(a, 'mobile', imgs, labs);
    table.push({ net, chosen, b, c, m });
  }
  const fmt = (s: CandidateStats): string =>
    `${s.latencyP50Ms.toFixed(1).padStart(7)} ${s.energyMeanMj.toFixed(1).padStart(7)} ${s.bytesMean.toFixed(0).padStart(6)} ${(s.accuracy * 100).toFixed(0).padStart(4)}%`;
  out('');
  out(
    `Summary (${n} held-out images per column; latency p50 ms, device energy mJ by TM*PM + TU*PU, bytes sent, accuracy)`,
  );
  out(
    `net   chosen |  BottleNet: lat     mJ  bytes  acc |  cloud-only: lat   mJ  bytes  acc | mobile-only: lat  mJ  bytes  acc | latency x  energy x  (vs cloud-only)`,
  );
  for (const r of table) {
    out(
      `${r.net.padEnd(5)} ${r.chosen.padEnd(6)} | ${fmt(r.b)} | ${fmt(r.c)} | ${fmt(r.m)} | ${(r.c.latencyP50Ms / r.b.latencyP50Ms).toFixed(1).padStart(9)} ${(r.c.energyMeanMj / r.b.energyMeanMj).toFixed(1).padStart(9)}`,
    );
  }
  const moved = [...phaseResults.entries()]
    .filter(([k]) => k.startsWith('congested:'))
    .map(([k, rs]) => `${k.split(':')[1]}: ${[...new Set(rs.map((r) => r.candidate))].join('->')}`);
  out(`During congestion the agents ran: ${moved.join('; ')}`);
  const fb = [...agents.values()].reduce(
    (s, a) => s + (a.agent.status()['counts'] as { fallback: number }).fallback,
    0,
  );
  out(
    `Fallbacks to mobile-only (cloud late or failed): ${fb}. Device ${slowdown}x slower than this host (emulated); the cloud shares this host's CPU.`,
  );
} finally {
  stopAll = true;
  await Promise.allSettled(drivers);
  for (const a of agents.values()) await a.close();
  await mesh.stop();
  out(`${clock()} demo done.`);
}
