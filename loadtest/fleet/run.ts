// Device-fleet simulator for scale runs: many agents (real planner, switching, emulated links, ONNX
// heads shared in one process) with mixed network profiles, device speeds and objectives, against a
// gateway - an existing one (--gateway-url, --api-key) or a local mesh it starts (--mesh).
//   node --conditions=source --import tsx loadtest/fleet/run.ts --mesh --devices 40 --duration 30
// Writes --out/fleet.json (per-network summary + every request) and ends with one line
// `fleet: devices=... requests=... errors=... switches=... <network>_p95_ms=...`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { pino } from 'pino';
import { startMesh, type Mesh } from '@bottlenet/mobile-agent';
import { testImages } from '../lib/images.js';
import { Fleet, parseMix } from './fleet.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const o = new Command('fleet')
  .option('--model <dir>', 'model repository', join(repoRoot, 'models/fmnist-tiny'))
  .option('--gateway-url <url>', 'gateway to use (else --mesh)')
  .option('--api-key <key>', 'API key for --gateway-url', process.env['BOTTLENET_API_KEY'])
  .option('--mesh', 'start a local mesh (redis-server, workers, load monitor, gateway)', false)
  .option('--workers <n>', 'workers of the local mesh', '2')
  .option('--devices <n>', 'simulated devices', '20')
  .option('--mix <spec>', 'network mix', 'wifi=0.5,4g=0.3,3g=0.2')
  .option('--slowdowns <list>', 'device slowdown factors, assigned round-robin', '50,100,200')
  .option('--energy-share <x>', 'share of devices minimising energy', '0.25')
  .option('--period-ms <ms>', 'mean time between two requests of one device', '500')
  .option('--duration <s>', 'seconds of traffic', '20')
  .option('--out <dir>', 'results folder', join(repoRoot, 'loadtest/results/fleet'))
  .parse()
  .opts<Record<string, string | boolean | undefined>>();

const str = (k: string): string => String(o[k]);
const log = (m: string): void =>
  void process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${m}\n`);
const out = resolve(str('out'));
mkdirSync(out, { recursive: true });
const modelDir = resolve(str('model'));
let mesh: Mesh | undefined;
let fleet: Fleet | undefined;
try {
  let gatewayUrl = o['gatewayUrl'] as string | undefined;
  let apiToken = o['apiKey'] as string | undefined;
  if (o['mesh'] === true) {
    log('starting a local mesh');
    mesh = await startMesh({
      repoRoot,
      modelDirs: [modelDir],
      workers: Number(str('workers')),
      fromSource: true,
    });
    gatewayUrl = mesh.gatewayUrl;
    apiToken = mesh.apiKey;
  }
  if (gatewayUrl === undefined || apiToken === undefined)
    throw new Error('give --gateway-url and --api-key (or BOTTLENET_API_KEY), or --mesh');
  const logger = pino(
    { level: 'warn' },
    pino.destination({ dest: join(out, 'fleet.log'), sync: false }),
  );
  const t = performance.now();
  fleet = await Fleet.start({
    modelDir,
    gatewayUrl,
    apiToken,
    devices: Number(str('devices')),
    mix: parseMix(str('mix')),
    slowdowns: str('slowdowns').split(',').map(Number),
    energyShare: Number(str('energyShare')),
    meanPeriodMs: Number(str('periodMs')),
    images: testImages([1, 28, 28], 64),
    logger,
  });
  log(
    `${String(fleet.devices.length)} devices calibrated in ${((performance.now() - t) / 1000).toFixed(1)} s; traffic for ${str('duration')} s`,
  );
  fleet.run();
  await new Promise((r) => setTimeout(r, Number(str('duration')) * 1000));
  const f = fleet;
  fleet = undefined;
  await f.close();
  const summary = f.summary();
  writeFileSync(
    join(out, 'fleet.json'),
    JSON.stringify({
      options: o,
      summary,
      devices: f.devices.map((d) => ({
        id: d.id,
        network: d.network,
        slowdown: d.slowdown,
        objective: d.objective,
      })),
      records: f.records,
      errors: f.errors,
    }),
  );
  log(JSON.stringify(summary));
  const nets = summary['byNetwork'] as Record<string, { p95Ms: number }>;
  process.stdout.write(
    `fleet: devices=${String(summary['devices'])} requests=${String(summary['requests'])} errors=${String(summary['errors'])} switches=${String(summary['switches'])} ` +
      `${Object.entries(nets)
        .map(([n, s]) => `${n}_p95_ms=${String(s.p95Ms)}`)
        .join(' ')}\n`,
  );
  process.exitCode = summary['errors'] === 0 ? 0 : 1;
} finally {
  await fleet?.close();
  await mesh?.stop();
}
