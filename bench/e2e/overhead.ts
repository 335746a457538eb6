// bench/e2e/overhead.ts: the agent overhead of bench/e2e alone, quickly. A real cloud tier (redis-server,
// one worker, load monitor, gateway) and one in-process agent on the emulated 3G link (paper link model,
// as bench/e2e's headline row); every split partition is forced in turn, interleaved, so that host noise
// hits all of them alike. Overhead = request latency - head session run - network (link emulation, HTTP
// round trip, gateway, worker), exactly the `overheadMs` that bench/e2e reports. Last line:
//   e2e-overhead: agent_overhead_p50_ms=<w> p90_ms=<x> requests=<n>
// Env: E2E_MODEL (a models/ folder), OVERHEAD_ROUNDS (default 60), OVERHEAD_LINK (3g|4g|wifi, default 3g),
// OVERHEAD_PROFILE (write a .cpuprofile of the measured rounds only to this path).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import {
  compileAgentConfig,
  loadHeldOut,
  percentile,
  startAgent,
  startMesh,
  splitCpus,
} from '@bottlenet/mobile-agent';
import { benchModel, cpuShareReason, repoRoot } from './bench-model.js';

const root = repoRoot;
const { dir: modelDir } = benchModel();
const rounds = Number(process.env['OVERHEAD_ROUNDS'] ?? 60);
const net = process.env['OVERHEAD_LINK'] ?? '3g';
const LIMIT_MS = 0.3;
const log = (s: string): void => void process.stdout.write(`${s}\n`);
const mean = (xs: readonly number[]): number =>
  xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const cpus = splitCpus(cpuShareReason);
const mesh = await startMesh({
  repoRoot: root,
  modelDirs: [modelDir],
  workers: 1,
  cloudCpus: cpus.cloudCpus,
});
log(`e2e-overhead: ${cpus.description}`);
try {
  const running = await startAgent(
    compileAgentConfig({
      modelRepo: modelDir,
      gatewayUrl: mesh.gatewayUrl,
      apiToken: mesh.apiKey,
      logLevel: 'silent',
      deviceId: 'bench-overhead',
      link: { preset: net, emulate: true, model: 'paper' },
      control: { measureMobileLoad: false },
    }),
  );
  try {
    const agent = running.agent;
    const { images } = loadHeldOut(agent.model, root, 20);
    const splits = agent.model.partitions.map((p) => p.id);
    // warm-up: connections, JIT, the worker's sessions
    for (let i = 0; i < 10; i++)
      for (const id of splits)
        await agent.classify(images[i % images.length]!, { force: id, topK: 1 });
    const overhead: number[] = [];
    const byPart = new Map<string, number[]>(splits.map((id) => [id, []]));
    // the device time the energy model charges (mobileMs = session run + overhead), per partition
    const device = new Map<string, { session: number[]; mobile: number[] }>(
      splits.map((id) => [id, { session: [], mobile: [] }]),
    );
    const profile = process.env['OVERHEAD_PROFILE'];
    const inspector = profile === undefined ? undefined : new Session();
    if (inspector !== undefined) {
      inspector.connect();
      await inspector.post('Profiler.setSamplingInterval', { interval: 50 });
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    let sessionMs = 0;
    for (let r = 0; r < rounds; r++) {
      for (const id of splits) {
        const res = await agent.classify(images[r % images.length]!, { force: id, topK: 1 });
        if (res.answeredBy !== 'cloud') continue;
        overhead.push(res.overheadMs);
        byPart.get(id)!.push(res.overheadMs);
        device.get(id)!.session.push(res.sessionMs);
        device.get(id)!.mobile.push(res.mobileMs);
        sessionMs += res.sessionMs;
      }
    }
    const cpu = process.cpuUsage(cpu0);
    if (inspector !== undefined && profile !== undefined) {
      const { profile: p } = await inspector.post('Profiler.stop');
      writeFileSync(profile, JSON.stringify(p));
      inspector.disconnect();
    }
    const n = overhead.length;
    log(
      `e2e-overhead: model ${agent.model.name}, ${net} link (paper model), ${rounds} rounds x ${splits.length} partitions`,
    );
    for (const [id, xs] of byPart)
      log(
        `e2e-overhead:   ${id.padEnd(5)} p50 ${percentile(xs, 0.5).toFixed(3)} ms  p90 ${percentile(xs, 0.9).toFixed(3)} ms  (device time: session p50 ${percentile(device.get(id)!.session, 0.5).toFixed(3)} ms, mobileMs p50 ${percentile(device.get(id)!.mobile, 0.5).toFixed(3)} / mean ${mean(device.get(id)!.mobile).toFixed(3)} ms)`,
      );
    log(
      `e2e-overhead: agent process CPU per request ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms (all threads: session runs ${(sessionMs / n).toFixed(3)} ms wall, HTTP client, overhead)`,
    );
    const p50 = percentile(overhead, 0.5);
    log(
      `e2e-overhead: ${p50 < LIMIT_MS ? 'PASS' : 'FAIL'} agent_overhead_p50_ms ${p50.toFixed(3)} (limit < ${LIMIT_MS})`,
    );
    log(
      `e2e-overhead: agent_overhead_p50_ms=${p50.toFixed(3)} p90_ms=${percentile(overhead, 0.9).toFixed(3)} requests=${n}`,
    );
  } finally {
    await running.close();
  }
} finally {
  await mesh.stop();
}
