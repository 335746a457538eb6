import type { Logger } from 'pino';
import {
  MobileAgent,
  OnnxModelRuntime,
  SlowedRuntime,
  compileAgentConfig,
  createAgentCodec,
  type ClassifyResult,
  type ImageInput,
} from '@bottlenet/mobile-agent';
import { Code, MeshError } from '@bottlenet/errors';
import { percentile, round, tally } from '../lib/stats.js';

/** Share of the fleet on each uplink preset (3g, 4g, wifi); normalised. */
export type NetworkMix = Readonly<Record<string, number>>;

export interface FleetOptions {
  readonly modelDir: string;
  readonly gatewayUrl: string;
  readonly apiToken: string;
  /** @default 20 */
  readonly devices?: number;
  /** @default { wifi: 0.5, '4g': 0.3, '3g': 0.2 } */
  readonly mix?: NetworkMix;
  /** Mean time between two requests of one device (exponential, i.e. Poisson arrivals). @default 500 */
  readonly meanPeriodMs?: number;
  /** Device slowdown factors, assigned round-robin (a mixed fleet of boards). @default [50, 100, 200] */
  readonly slowdowns?: readonly number[];
  /** Share of devices that minimise energy instead of latency. @default 0.25 */
  readonly energyShare?: number;
  /** How many devices calibrate at once while starting. @default 4 */
  readonly startConcurrency?: number;
  readonly images: readonly ImageInput[];
  readonly logger: Logger;
}

/** One simulated device: a real MobileAgent (planner, switching, emulated link) over the shared ONNX sessions. */
export interface FleetDevice {
  readonly id: string;
  readonly network: string;
  readonly slowdown: number;
  readonly objective: 'latency' | 'energy';
  readonly agent: MobileAgent;
}

export interface FleetRecord {
  readonly t: number;
  readonly device: string;
  readonly network: string;
  readonly result: Pick<
    ClassifyResult,
    'candidate' | 'answeredBy' | 'latencyMs' | 'bytesSent' | 'energyMj'
  >;
}

/** Many agents in one process: each with its own link, device speed, objective and controller. */
export class Fleet {
  readonly devices: FleetDevice[] = [];
  readonly records: FleetRecord[] = [];
  readonly errors: { device: string; message: string }[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private t0 = 0;

  private constructor(
    private readonly o: FleetOptions,
    private readonly runtime: OnnxModelRuntime,
  ) {}

  /** Opens the model once, creates and calibrates every device (a few at a time). */
  static async start(o: FleetOptions): Promise<Fleet> {
    const n = o.devices ?? 20;
    if (!Number.isInteger(n) || n < 1)
      throw new MeshError(
        Code.InvalidArgument,
        `devices must be a positive integer, got ${String(n)}`,
        { type: 'bad_fleet' },
      );
    if (o.images.length === 0)
      throw new MeshError(Code.InvalidArgument, 'the fleet needs at least one image', {
        type: 'bad_fleet',
      });
    const networks = assignNetworks(n, o.mix ?? { wifi: 0.5, '4g': 0.3, '3g': 0.2 });
    const slowdowns = o.slowdowns ?? [50, 100, 200];
    const runtime = await OnnxModelRuntime.open(o.modelDir);
    const fleet = new Fleet(o, runtime);
    try {
      const codec = createAgentCodec();
      const energyEvery =
        (o.energyShare ?? 0.25) > 0
          ? Math.max(1, Math.round(1 / (o.energyShare ?? 0.25)))
          : Infinity;
      const specs = networks.map((network, i) => ({
        id: `fleet-${String(i).padStart(4, '0')}`,
        network,
        slowdown: slowdowns[i % slowdowns.length]!,
        objective: (i + 1) % energyEvery === 0 ? ('energy' as const) : ('latency' as const),
      }));
      const queue = [...specs];
      const startOne = async (): Promise<void> => {
        for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
          const config = compileAgentConfig({
            modelRepo: o.modelDir,
            gatewayUrl: o.gatewayUrl,
            apiToken: o.apiToken,
            deviceId: s.id,
            objective: s.objective,
            link: { preset: s.network, emulate: true, model: 'rtt' },
            emulation: { deviceSlowdown: s.slowdown },
            // a load test exercises switching; the smoke models' splits are far below their baseline
            control: {
              planIntervalMs: 2000,
              minHoldMs: 2000,
              measureMobileLoad: false,
              maxAccuracyLossPts: 100,
            },
            logLevel: 'warn',
          });
          const rt = s.slowdown > 1 ? new SlowedRuntime(runtime, s.slowdown) : runtime;
          const agent = new MobileAgent({
            config,
            runtime: rt,
            codec,
            logger: o.logger.child({ device: s.id }),
          });
          await agent.start(o.images.slice(0, 2));
          fleet.devices.push({ ...s, agent });
        }
      };
      await Promise.all(Array.from({ length: o.startConcurrency ?? 4 }, startOne));
      fleet.devices.sort((a, b) => a.id.localeCompare(b.id));
    } catch (e) {
      await fleet.close();
      throw e;
    }
    return fleet;
  }

  /** Starts every device's request loop (Poisson arrivals, one request in flight per device). */
  run(): void {
    if (this.running) return;
    this.running = true;
    this.t0 = performance.now();
    const mean = this.o.meanPeriodMs ?? 500;
    this.loops = this.devices.map(async (d, k) => {
      await sleep(Math.random() * mean); // spread the first requests
      for (let i = k; this.running; i++) {
        const start = performance.now();
        try {
          const r = await d.agent.classify(this.o.images[i % this.o.images.length]!, { topK: 1 });
          this.records.push({
            t: Math.round(performance.now() - this.t0),
            device: d.id,
            network: d.network,
            result: {
              candidate: r.candidate,
              answeredBy: r.answeredBy,
              latencyMs: r.latencyMs,
              bytesSent: r.bytesSent,
              energyMj: r.energyMj,
            },
          });
        } catch (e) {
          this.errors.push({ device: d.id, message: e instanceof Error ? e.message : String(e) });
        }
        const wait = -mean * Math.log(1 - Math.random()) - (performance.now() - start);
        if (wait > 0 && this.running) await sleep(wait);
      }
    });
  }

  /** Stops the loops (requests in flight finish), the agents' planning, and releases the sessions. */
  async close(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const d of this.devices) await d.agent.stop();
    await this.runtime.close();
  }

  /** Per network: requests, latency p50/p95, candidate mix, who answered, bytes and energy per request. */
  summary(): Record<string, unknown> {
    const byNetwork: Record<string, unknown> = {};
    for (const net of [...new Set(this.devices.map((d) => d.network))].sort()) {
      const rs = this.records.filter((r) => r.network === net);
      const lat = rs.map((r) => r.result.latencyMs);
      byNetwork[net] = {
        devices: this.devices.filter((d) => d.network === net).length,
        requests: rs.length,
        p50Ms: round(percentile(lat, 50)),
        p95Ms: round(percentile(lat, 95)),
        candidates: tally(rs.map((r) => r.result.candidate)),
        answeredBy: tally(rs.map((r) => r.result.answeredBy)),
        bytesPerRequest: round(
          rs.reduce((s, r) => s + r.result.bytesSent, 0) / Math.max(1, rs.length),
          1,
        ),
        energyMjPerRequest: round(
          rs.reduce((s, r) => s + r.result.energyMj, 0) / Math.max(1, rs.length),
          1,
        ),
      };
    }
    const switches = this.devices.reduce(
      (s, d) => s + Number(d.agent.status()['switches'] ?? 0),
      0,
    );
    return {
      devices: this.devices.length,
      requests: this.records.length,
      errors: this.errors.length,
      switches,
      byNetwork,
    };
  }
}

/** Splits `n` devices over the mix by largest remainder, so the shares are as close as possible. */
export function assignNetworks(n: number, mix: NetworkMix): string[] {
  const entries = Object.entries(mix).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (entries.length === 0 || !(total > 0))
    throw new MeshError(Code.InvalidArgument, 'the network mix needs at least one positive share', {
      type: 'bad_fleet',
    });
  const exact = entries.map(([name, w]) => ({ name, x: (n * w) / total }));
  const counts = exact.map((e) => ({
    name: e.name,
    k: Math.floor(e.x),
    rest: e.x - Math.floor(e.x),
  }));
  let left = n - counts.reduce((s, c) => s + c.k, 0);
  for (const c of [...counts].sort((a, b) => b.rest - a.rest)) {
    if (left-- <= 0) break;
    c.k++;
  }
  // interleave so that any prefix of the fleet is mixed too
  const out: string[] = [];
  const pools = counts.map((c) => ({ ...c }));
  while (out.length < n) for (const p of pools) if (p.k-- > 0) out.push(p.name);
  return out;
}

/** Parses `wifi=0.5,4g=0.3,3g=0.2`. */
export function parseMix(s: string): NetworkMix {
  const mix: Record<string, number> = {};
  for (const part of s.split(',')) {
    const [name, w] = part.split('=');
    const share = Number(w);
    if (name === undefined || name === '' || !(share >= 0)) {
      throw new MeshError(
        Code.InvalidArgument,
        `network mix "${s}": each part is <preset>=<share>, got "${part}"`,
        { type: 'bad_fleet' },
      );
    }
    mix[name.trim()] = share;
  }
  return mix;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
