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
import { createWriteStream, mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { pino } from 'pino';
import {
  compileAgentConfig,
  startAgent,
  startMesh,
  type ClassifyResult,
  type RunningAgent,
} from '@bottlenet/mobile-agent';
import { generateRequests } from '../requests/requests.js';
import { testImages } from '../lib/images.js';
import { k6Binary, readK6Summary, runK6, type K6Summary } from '../lib/k6.js';
import { deviceOrder, percentile, round, tally } from '../lib/stats.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cmd = new Command('congestion')
  .option('--model <dir>', 'model repository', join(repoRoot, 'models/fmnist-tiny'))
  .option('--out <dir>', 'results folder', join(repoRoot, 'loadtest/results/congestion'))
  .option('--workers <n>', 'cloud workers', '2')
  .option('--baseline <s>', 'uncongested seconds before k6 starts', '12')
  .option('--ramp <s>', 'k6 ramp-up seconds', '5')
  .option('--hold <s>', 'k6 seconds at full rate (ramp + hold <= 60)', '25')
  .option('--recovery <s>', 'seconds after k6 ends', '8')
  .option('--http-rate <n>', 'k6 /v1/infer requests per second at full rate', '80')
  .option('--grpc-rate <n>', 'k6 gRPC Infer calls per second at full rate', '1000')
  .option('--link <preset>', "the agents' emulated uplink", 'wifi')
  .option('--slowdown <x>', 'device slowdown factor of the emulated devices', '80')
  .option('--fixed <partition>', 'the partition the fixed agent is pinned to', 'rb1')
  .option(
    '--background-rate <n>',
    'steady background requests per second through the gateway (other devices), all candidates in turn',
    '20',
  )
  .option('--period-ms <ms>', 'each agent starts a request at most this often', '60')
  .parse();
const o = cmd.opts<Record<string, string>>();
const num = (k: string): number => Number(o[k]);
if (num('ramp') + num('hold') > 60)
  throw new Error('--ramp + --hold must be at most 60 s (the CI bound)');

const out = resolve(o['out']!);
mkdirSync(out, { recursive: true });
const log = (msg: string): void =>
  void process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Phase = 'warmup' | 'baseline' | 'ramp' | 'congested' | 'recovery';
interface Rec {
  t: number;
  agent: string;
  phase: Phase;
  candidate: string;
  answeredBy: ClassifyResult['answeredBy'];
  latencyMs: number;
  networkMs: number;
  serverMs: number;
}

const k6 = k6Binary(repoRoot);
log(`k6: ${k6}`);
const modelDir = resolve(o['model']!);
const requests = await generateRequests({
  modelDir,
  outDir: join(out, 'requests'),
  timeoutMs: 5000,
  perCandidate: 4,
});
const meshLog = createWriteStream(join(out, 'mesh.log'));
log('starting the mesh');
const mesh = await startMesh({
  repoRoot,
  modelDirs: [modelDir],
  workers: num('workers'),
  fromSource: true,
  onLog: (s, l) => meshLog.write(`${s} ${l}\n`),
});
// The emulated devices run in this process. On one shared host the cloud's load would also stretch
// device compute, which separate hardware does not; so this process's threads get a higher CPU
// priority (nice -5) once the agents run. The cloud tier and k6 keep the default priority, competing
// with whatever else runs on the machine.
const raisePriority = (): void => {
  for (const tid of readdirSync(`/proc/${String(process.pid)}/task`))
    spawnSync('renice', ['-n', '-5', '-p', tid]);
};
const agentLog = pino(
  { level: 'info' },
  pino.destination({ dest: join(out, 'agents.log'), sync: false }),
);
const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as {
  partitions: { id: string; block: number }[];
};
const blocks = new Map(manifest.partitions.map((p) => [p.id, p.block]));
const images = testImages([1, 28, 28], 64);

const agentConfig = (deviceId: string, strategy: string): ReturnType<typeof compileAgentConfig> =>
  compileAgentConfig({
    modelRepo: modelDir,
    gatewayUrl: mesh.gatewayUrl,
    apiToken: mesh.apiKey,
    deviceId,
    strategy,
    link: { preset: o['link'], emulate: true, model: 'rtt' },
    emulation: { deviceSlowdown: num('slowdown') },
    // a load test exercises switching under congestion; the smoke models' splits are far below their baseline
    control: {
      planIntervalMs: 500,
      minHoldMs: 1000,
      minGain: 0.15,
      measureMobileLoad: false,
      requestTimeoutMs: 5000,
      maxAccuracyLossPts: 100,
    },
    logLevel: 'info',
  });
const agents: { name: string; running: RunningAgent }[] = [];
const recs: Rec[] = [];
const errors: { agent: string; phase: Phase; message: string }[] = [];
const switches: { t: number; agent: string; from: string; to: string; why: string }[] = [];
const cloudSamples: {
  t: number;
  phase: Phase;
  loadLevel: number;
  queueDepth: number;
  maxExpectedCloudMs: number;
  candidate: string;
}[] = [];
let phase: Phase = 'warmup';
let running = true;
const t0 = performance.now();
const now = (): number => Math.round(performance.now() - t0);
let sent = 0;
const k6Runs: { kill(): void }[] = [];

try {
  for (const [name, strategy] of [
    ['adaptive', 'auto'],
    [`fixed-${o['fixed']!}`, o['fixed']!],
  ] as const) {
    const ra = await startAgent(agentConfig(name, strategy), {
      logger: agentLog.child({ device: name }),
      samples: images.slice(0, 3),
    });
    ra.agent.on('switch', (s: { from: string; to: string; why: string }) =>
      switches.push({ t: now(), agent: name, ...s }),
    );
    agents.push({ name, running: ra });
  }
  const adaptive = agents[0]!.running.agent;
  raisePriority();
  log(`agents ready; adaptive on ${String(adaptive.status()['candidate'])}`);

  const drive = async (name: string, a: RunningAgent): Promise<void> => {
    const period = num('periodMs');
    for (let i = 0; running; i++) {
      const start = performance.now();
      const ph = phase;
      sent++;
      try {
        const r = await a.agent.classify(images[i % images.length]!, { topK: 1 });
        recs.push({
          t: now(),
          agent: name,
          phase: ph,
          candidate: r.candidate,
          answeredBy: r.answeredBy,
          latencyMs: r.latencyMs,
          networkMs: r.networkMs,
          serverMs: r.serverMs,
        });
      } catch (e) {
        errors.push({
          agent: name,
          phase: ph,
          message: e instanceof Error ? e.message : String(e),
        });
      }
      const left = period - (performance.now() - start);
      if (left > 0) await sleep(left);
    }
  };
  const drivers = agents.map((a) => drive(a.name, a.running));
  // The rest of the fleet: a steady trickle of real requests for every cloud candidate, so that the
  // cloud view carries a measured service time for each (an idle cloud with no history is not what
  // devices meet in production), and the agents' plans start from it.
  const bodies = requests.map((r) => readFileSync(r.bin));
  const background = { sent: 0, failed: 0 };
  const backgroundLoop = (async () => {
    const period = 1000 / num('backgroundRate');
    for (let i = 0; running; i++) {
      const start = performance.now();
      try {
        const res = await fetch(`${mesh.gatewayUrl}/v1/infer`, {
          method: 'POST',
          body: bodies[i % bodies.length],
          headers: {
            'content-type': 'application/x-protobuf',
            authorization: `Bearer ${mesh.apiKey}`,
          },
        });
        await res.arrayBuffer();
        if (!res.ok) background.failed++;
      } catch {
        background.failed++;
      }
      background.sent++;
      const left = period - (performance.now() - start);
      if (left > 0) await sleep(left);
    }
  })();
  const sampler = setInterval(() => {
    const s = adaptive.status();
    const c = s['cloud'] as
      | { loadLevel?: number; partitions?: { queueDepth: number; expectedCloudMs: number }[] }
      | undefined;
    const parts = c?.partitions ?? [];
    cloudSamples.push({
      t: now(),
      phase,
      loadLevel: c?.loadLevel ?? Number.NaN,
      candidate: String(s['candidate']),
      queueDepth: parts.reduce((sum, p) => sum + p.queueDepth, 0),
      maxExpectedCloudMs: Math.max(0, ...parts.map((p) => p.expectedCloudMs)),
    });
  }, 500);

  // Warm-up: until the planning agent has chosen a cloud candidate (a device this slow should), at most 15 s.
  const warmEnd = Date.now() + 20_000;
  while (Date.now() < warmEnd && (adaptive.status()['candidate'] === 'mobile' || recs.length < 20))
    await sleep(200);
  log(`warm: adaptive on ${String(adaptive.status()['candidate'])}; baseline ${o['baseline']!} s`);
  phase = 'baseline';
  await sleep(num('baseline') * 1000);

  const reqs = (c: (cand: string) => boolean, ext: 'bin' | 'json'): string =>
    requests
      .filter((r) => c(r.candidate))
      .map((r) => r[ext])
      .join(',');
  // requests carry a 5 s budget (the gateway answers 504, a worker DEADLINE_EXCEEDED, when it runs out);
  // k6 waits longer, so a request without any answer within 20 s counts as lost
  const common = {
    HTTP_TIMEOUT: '20s',
    GRPC_TIMEOUT: '20s',
    SCENARIO: 'congestion',
    RAMP: `${o['ramp']!}s`,
    DURATION: `${o['hold']!}s`,
    INFER_P95_MS: '5000',
    MAX_ERROR_RATE: '0.05',
    MAX_LOST: '0',
  };
  phase = 'ramp';
  log(
    `k6: ramp ${o['ramp']!} s to ${o['httpRate']!} HTTP + ${o['grpcRate']!} gRPC req/s, hold ${o['hold']!} s`,
  );
  const k6Start = performance.now();
  const runs = [
    runK6({
      k6,
      name: 'gateway',
      cwd: repoRoot,
      script: join(repoRoot, 'loadtest/k6/gateway.js'),
      env: {
        ...common,
        GATEWAY_URL: mesh.gatewayUrl,
        API_KEY: mesh.apiKey,
        PLAN: '0',
        RATE: o['httpRate']!,
        INFER_BODIES: reqs(() => true, 'bin'),
      },
      summaryFile: join(out, 'k6-gateway.json'),
      logFile: join(out, 'k6-gateway.log'),
    }),
    runK6({
      k6,
      name: 'grpc',
      cwd: repoRoot,
      script: join(repoRoot, 'loadtest/k6/worker-grpc.js'),
      env: {
        ...common,
        WORKERS: mesh.workerAddresses.join(','),
        PROTO_DIR: join(repoRoot, 'packages/protocol/proto'),
        RATE: o['grpcRate']!,
        REQUESTS: reqs((c) => c !== 'cloud', 'json'),
      },
      summaryFile: join(out, 'k6-grpc.json'),
      logFile: join(out, 'k6-grpc.log'),
    }),
  ];
  k6Runs.push(...runs);
  const rampTimer = setTimeout(
    () => {
      phase = 'congested';
      log('congested');
    },
    num('ramp') * 1000,
  );
  const codes = await Promise.all(runs.map((r) => r.exited));
  const k6WallS = round((performance.now() - k6Start) / 1000, 1);
  clearTimeout(rampTimer);
  log(`k6 done (exit ${codes.join(', ')}); recovery ${o['recovery']!} s`);
  for (const [i, name] of ['gateway', 'grpc'].entries()) {
    // 0: every threshold held; 99: a threshold was crossed (reported below); anything else: k6 failed
    if (codes[i] !== 0 && codes[i] !== 99)
      throw new Error(
        `k6 ${name} exited ${String(codes[i])}:\n${readFileSync(join(out, `k6-${name}.log`), 'utf8').slice(-3000)}`,
      );
  }
  phase = 'recovery';
  await sleep(num('recovery') * 1000);
  running = false;
  clearInterval(sampler);
  await Promise.all([...drivers, backgroundLoop]);

  // Summary.
  // k6 logs each request that got no answer ("Request Failed", with the error); keep the distinct ones
  const k6Errors = (name: string): string[] =>
    [
      ...new Set(
        readFileSync(join(out, `k6-${name}.log`), 'utf8')
          .split('\n')
          .filter((l) => /level=(warn|error)/.test(l))
          .map((l) => l.replace(/^time="[^"]*" /, '').slice(0, 300)),
      ),
    ].slice(0, 10);
  const k6Results: Record<string, K6Summary & { exitCode: number | null; errors: string[] }> = {
    gateway: {
      ...readK6Summary(join(out, 'k6-gateway.json'), 'http'),
      exitCode: codes[0]!,
      errors: k6Errors('gateway'),
    },
    grpc: {
      ...readK6Summary(join(out, 'k6-grpc.json'), 'grpc'),
      exitCode: codes[1]!,
      errors: k6Errors('grpc'),
    },
  };
  const phases: Phase[] = ['baseline', 'ramp', 'congested', 'recovery'];
  const perAgent: Record<string, Record<string, unknown>> = {};
  for (const { name } of agents) {
    const byPhase: Record<string, unknown> = {};
    for (const ph of phases) {
      const rs = recs.filter((r) => r.agent === name && r.phase === ph);
      const lat = rs.map((r) => r.latencyMs);
      byPhase[ph] = {
        n: rs.length,
        p50Ms: round(percentile(lat, 50)),
        p95Ms: round(percentile(lat, 95)),
        meanDeviceOrder: round(
          rs.reduce((s, r) => s + deviceOrder(r.candidate, blocks), 0) / Math.max(1, rs.length),
        ),
        candidates: tally(rs.map((r) => r.candidate)),
        answeredBy: tally(rs.map((r) => r.answeredBy)),
      };
    }
    perAgent[name] = byPhase;
  }
  type P = { p95Ms: number; meanDeviceOrder: number; candidates: Record<string, number> };
  const ph = (agent: string, p: Phase): P => perAgent[agent]![p] as P;
  const fixedName = agents[1]!.name;
  const adaptiveRatio = ph('adaptive', 'congested').p95Ms / ph('adaptive', 'baseline').p95Ms;
  const adaptiveRatioWithRamp =
    percentile(
      recs
        .filter((r) => r.agent === 'adaptive' && (r.phase === 'ramp' || r.phase === 'congested'))
        .map((r) => r.latencyMs),
      95,
    ) / ph('adaptive', 'baseline').p95Ms;
  const fixedRatio = ph(fixedName, 'congested').p95Ms / ph(fixedName, 'baseline').p95Ms;
  const moved =
    ph('adaptive', 'congested').meanDeviceOrder > ph('adaptive', 'baseline').meanDeviceOrder;
  const answered = recs.length;
  const agentLost = sent - answered;
  const k6Lost = k6Results['gateway']!.lost + k6Results['grpc']!.lost;
  const congestedLoad = cloudSamples.filter((s) => s.phase === 'congested');
  const baselineLoad = cloudSamples.filter((s) => s.phase === 'baseline');
  const limits = {
    adaptiveP95RatioMax: 2,
    fixedP95RatioMin: 3,
  };
  const verdicts = {
    adaptiveWithin2x: adaptiveRatio <= limits.adaptiveP95RatioMax,
    fixedPast3x: fixedRatio > limits.fixedP95RatioMin,
    movedTowardDevice: moved,
    noRequestLost: agentLost === 0 && errors.length === 0 && k6Lost === 0,
  };
  const summary = {
    options: o,
    k6Version: spawnSync(k6, ['version'], { encoding: 'utf8' }).stdout.trim(),
    durationS: round(now() / 1000, 1),
    k6WallS,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    agents: perAgent,
    ratios: {
      adaptiveP95: round(adaptiveRatio),
      adaptiveP95IncludingRamp: round(adaptiveRatioWithRamp),
      fixedP95: round(fixedRatio),
    },
    cloud: {
      baselineMeanLoadLevel: round(
        baselineLoad.reduce((s, x) => s + x.loadLevel, 0) / Math.max(1, baselineLoad.length),
      ),
      congestedMeanLoadLevel: round(
        congestedLoad.reduce((s, x) => s + x.loadLevel, 0) / Math.max(1, congestedLoad.length),
      ),
      congestedMaxQueueDepth: Math.max(0, ...congestedLoad.map((x) => x.queueDepth)),
      baselineMaxExpectedCloudMs: round(
        Math.max(0, ...baselineLoad.map((x) => x.maxExpectedCloudMs)),
      ),
      congestedMaxExpectedCloudMs: round(
        Math.max(0, ...congestedLoad.map((x) => x.maxExpectedCloudMs)),
      ),
    },
    switches,
    agentRequests: { sent, answered, lost: agentLost, errors },
    background,
    k6: k6Results,
    limits,
    verdicts,
    pass: Object.values(verdicts).every(Boolean),
  };
  writeFileSync(
    join(out, 'agents.json'),
    JSON.stringify({
      requests: recs,
      cloudSamples,
      stats: Object.fromEntries(agents.map((a) => [a.name, a.running.agent.status()])),
    }),
  );
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2));
  for (const { name } of agents) {
    log(
      `${name}: ${phases
        .map((p) => {
          const x = ph(name, p) as P & { n: number; p50Ms: number };
          return `${p} n=${x.n} p50=${x.p50Ms} p95=${x.p95Ms} ${JSON.stringify(x.candidates)}`;
        })
        .join(' | ')}`,
    );
  }
  log(
    `cloud K: baseline ${summary.cloud.baselineMeanLoadLevel}, congested ${summary.cloud.congestedMeanLoadLevel}; k6 ${JSON.stringify(k6Results)}`,
  );
  process.stdout.write(
    `congestion: adaptive_p95_ratio=${round(adaptiveRatio)} fixed_p95_ratio=${round(fixedRatio)} moved_toward_device=${String(moved)} ` +
      `lost=${String(agentLost + errors.length + k6Lost)} k6_http_reqs=${String(k6Results['gateway']!.requests)} k6_grpc_reqs=${String(k6Results['grpc']!.requests)}\n`,
  );
  process.exitCode = summary.pass ? 0 : 1;
} finally {
  running = false;
  for (const r of k6Runs) r.kill();
  for (const a of agents) await a.running.close();
  await mesh.stop();
  meshLog.end();
  agentLog.flush();
}
