// The bounded congestion run (CI): a local mesh (redis-server, cloud workers, load monitor, gateway as
// real processes), two agents on emulated links classifying real images - one planning (`auto`), one
// pinned to a partition - and k6 congesting the cloud for at most `--ramp + --hold` seconds over HTTP
// (gateway /v1/infer) and gRPC (workers' Infer) with real encoded requests. Phases: baseline (no k6),
// ramp, congested (k6 at its full rate), recovery. Writes into --out:
//   requests/          the request files k6 sent (generated with the real heads and codec)
//   k6-gateway.json, k6-grpc.json   k6 --summary-export of each script; k6-*.log their output
//   agents.json        every agent request (time, phase, candidate, who answered, latency) + final stats
//   summary.json       per-phase p50/p95 and candidate mix per agent, the ratios, k6 numbers, verdicts
// and ends with one line `congestion: adaptive_p95_ratio=... fixed_p95_ratio=... moved_toward_device=...
// lost=... k6_http_reqs=... k6_grpc_reqs=...`. Exit 1 when a limit is missed.
//
//   node --conditions=source --import tsx loadtest/congestion/run.ts [--out dir] [--hold 30] ...
//
// This file only orchestrates: options.ts (command line), agents.ts (the two emulated devices),
// traffic.ts (their request loops, the background trickle, the cloud-view sampler), cloud-load.ts
// (k6), summary.ts (the verdicts, summary.json and the final line, pure).
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { splitCpus, startMesh } from '@bottlenet/mobile-agent';
import { generateRequests } from '../requests/requests.js';
import { testImages } from '../lib/images.js';
import { k6Binary, type K6Run } from '../lib/k6.js';
import { round } from '../lib/stats.js';
import { optionsRecord, parseOptions } from './options.js';
import { raiseOwnPriority, startAgents, type CongestionAgent } from './agents.js';
import { driveAgent, startBackground, startCloudSampler, TrafficLog } from './traffic.js';
import { assertK6Ran, readCloudLoadResults, startCloudLoad } from './cloud-load.js';
import { summarize } from './summary.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const o = parseOptions(process.argv, repoRoot);

const out = resolve(o.out);
mkdirSync(out, { recursive: true });
const log = (msg: string): void =>
  void process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const k6 = k6Binary(repoRoot);
log(`k6: ${k6}`);
const modelDir = resolve(o.model);
const requests = await generateRequests({
  modelDir,
  outDir: join(out, 'requests'),
  timeoutMs: 5000,
  perCandidate: 4,
});
const meshLog = createWriteStream(join(out, 'mesh.log'));
// The agents (this process) on one CPU, the cloud tier and k6 on the others: k6's own CPU time then
// congests the cloud, as on separate machines, instead of also slowing the emulated devices, whose
// measured compute time the emulation multiplies.
const cpus = splitCpus(o.cpuSplit ? undefined : '--no-cpu-split');
log(cpus.description);
log('starting the mesh');
const mesh = await startMesh({
  repoRoot,
  modelDirs: [modelDir],
  workers: o.workers,
  fromSource: true,
  onLog: (s, l) => meshLog.write(`${s} ${l}\n`),
  ...(cpus.cloudCpus === undefined ? {} : { cloudCpus: cpus.cloudCpus }),
});
const agentLog = pino(
  { level: 'info' },
  pino.destination({ dest: join(out, 'agents.log'), sync: false }),
);
const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as {
  partitions: { id: string; block: number }[];
};
const blocks = new Map(manifest.partitions.map((p) => [p.id, p.block]));
const images = testImages([1, 28, 28], 64);

const agents: CongestionAgent[] = [];
const traffic = new TrafficLog();
const k6Runs: K6Run[] = [];
let stopSampler = (): void => undefined;

try {
  await startAgents({
    options: o,
    modelDir,
    mesh,
    logger: agentLog,
    samples: images.slice(0, 3),
    agents,
    onSwitch: (s) => traffic.switches.push({ t: traffic.now(), ...s }),
  });
  const [adaptiveAgent, fixedAgent] = agents as [CongestionAgent, CongestionAgent];
  const adaptive = adaptiveAgent.running.agent;
  raiseOwnPriority();
  log(`agents ready; adaptive on ${String(adaptive.status()['candidate'])}`);

  const drivers = agents.map((a) => driveAgent(traffic, a.name, a.running, images, o.periodMs));
  const background = startBackground(
    traffic,
    { url: mesh.gatewayUrl, apiKey: mesh.apiKey },
    requests.map((r) => readFileSync(r.bin)),
    o.backgroundRate,
  );
  stopSampler = startCloudSampler(traffic, adaptive);

  // Warm-up: until the planning agent has chosen a cloud candidate (a device this slow should), at most 20 s.
  const warmEnd = Date.now() + 20_000;
  while (
    Date.now() < warmEnd &&
    (adaptive.status()['candidate'] === 'mobile' || traffic.records.length < 20)
  )
    await sleep(200);
  log(`warm: adaptive on ${String(adaptive.status()['candidate'])}; baseline ${o.baseline} s`);
  traffic.phase = 'baseline';
  await sleep(o.baseline * 1000);

  traffic.phase = 'ramp';
  log(`k6: ramp ${o.ramp} s to ${o.httpRate} HTTP + ${o.grpcRate} gRPC req/s, hold ${o.hold} s`);
  const k6Start = performance.now();
  const runs = startCloudLoad({
    k6,
    repoRoot,
    out,
    target: mesh,
    requests,
    options: o,
    ...(cpus.cloudCpus === undefined ? {} : { cpus: cpus.cloudCpus }),
  });
  k6Runs.push(...runs);
  const rampTimer = setTimeout(() => {
    traffic.phase = 'congested';
    log('congested');
  }, o.ramp * 1000);
  const codes = await Promise.all(runs.map((r) => r.exited));
  const k6WallS = round((performance.now() - k6Start) / 1000, 1);
  clearTimeout(rampTimer);
  log(`k6 done (exit ${codes.join(', ')}); recovery ${o.recovery} s`);
  assertK6Ran(out, codes);
  traffic.phase = 'recovery';
  await sleep(o.recovery * 1000);
  traffic.running = false;
  stopSampler();
  await Promise.all([...drivers, background.done]);

  const k6Version = spawnSync(k6, ['version'], { encoding: 'utf8' }).stdout.trim();
  const report = summarize({
    options: optionsRecord(o),
    k6Version,
    durationS: round(traffic.now() / 1000, 1),
    k6WallS,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    agents: { adaptive: adaptiveAgent.name, fixed: fixedAgent.name },
    blocks,
    records: traffic.records,
    errors: traffic.errors,
    switches: traffic.switches,
    cloudSamples: traffic.cloudSamples,
    sent: traffic.sent,
    background: background.counts,
    k6: readCloudLoadResults(out, codes),
  });
  writeFileSync(
    join(out, 'agents.json'),
    JSON.stringify({
      requests: traffic.records,
      cloudSamples: traffic.cloudSamples,
      stats: Object.fromEntries(agents.map((a) => [a.name, a.running.agent.status()])),
    }),
  );
  writeFileSync(join(out, 'summary.json'), JSON.stringify(report.summary, null, 2));
  for (const line of report.lines) log(line);
  process.stdout.write(`${report.finalLine}\n`);
  process.exitCode = report.summary.pass ? 0 : 1;
} finally {
  traffic.running = false;
  stopSampler();
  for (const r of k6Runs) r.kill();
  for (const a of agents) await a.running.close();
  await mesh.stop();
  meshLog.end();
  agentLog.flush();
}
