// The traffic of the congestion run besides k6: the two agents' closed request loops, the steady
// trickle standing for the rest of the fleet, and what the planning agent saw of the cloud. Everything
// is recorded against the phase current when it started.
import type {
  ClassifyResult,
  ImageInput,
  MobileAgent,
  RunningAgent,
} from '@bottlenet/mobile-agent';

export type Phase = 'warmup' | 'baseline' | 'ramp' | 'congested' | 'recovery';

/** The phases the summary reports on (warm-up only gets the agents to a steady state). */
export const REPORTED_PHASES: readonly Phase[] = ['baseline', 'ramp', 'congested', 'recovery'];

/** One answered agent request. */
export interface AgentRecord {
  t: number;
  agent: string;
  phase: Phase;
  candidate: string;
  answeredBy: ClassifyResult['answeredBy'];
  latencyMs: number;
  networkMs: number;
  serverMs: number;
}

/** An agent request that threw instead of answering. */
export interface AgentError {
  agent: string;
  phase: Phase;
  message: string;
}

export interface SwitchRecord {
  t: number;
  agent: string;
  from: string;
  to: string;
  why: string;
}

/** The cloud as the planning agent saw it (its `status().cloud`) at one moment. */
export interface CloudSample {
  t: number;
  phase: Phase;
  loadLevel: number;
  queueDepth: number;
  maxExpectedCloudMs: number;
  candidate: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Shared by the loops: the current phase, whether to keep going, and what they recorded. */
export class TrafficLog {
  phase: Phase = 'warmup';
  running = true;
  /** Agent requests started; compared with `records` + `errors` to count lost ones. */
  sent = 0;
  readonly records: AgentRecord[] = [];
  readonly errors: AgentError[] = [];
  readonly switches: SwitchRecord[] = [];
  readonly cloudSamples: CloudSample[] = [];
  private readonly t0 = performance.now();

  /** Milliseconds since the run started. */
  now(): number {
    return Math.round(performance.now() - this.t0);
  }
}

/** An agent's closed loop: one classification at a time, starting at most every `periodMs`, until `log.running` is false. */
export async function driveAgent(
  log: TrafficLog,
  name: string,
  a: RunningAgent,
  images: readonly ImageInput[],
  periodMs: number,
): Promise<void> {
  for (let i = 0; log.running; i++) {
    const start = performance.now();
    // the phase it started in: a request started at baseline and answered while congested is baseline's
    const phase = log.phase;
    log.sent++;
    try {
      const r = await a.agent.classify(images[i % images.length]!, { topK: 1 });
      log.records.push({
        t: log.now(),
        agent: name,
        phase,
        candidate: r.candidate,
        answeredBy: r.answeredBy,
        latencyMs: r.latencyMs,
        networkMs: r.networkMs,
        serverMs: r.serverMs,
      });
    } catch (e) {
      log.errors.push({ agent: name, phase, message: e instanceof Error ? e.message : String(e) });
    }
    const left = periodMs - (performance.now() - start);
    if (left > 0) await sleep(left);
  }
}

export interface BackgroundCounts {
  sent: number;
  failed: number;
}

/**
 * The rest of the fleet: a steady trickle of real requests for every cloud candidate, so that the
 * cloud view carries a measured service time for each (an idle cloud with no history is not what
 * devices meet in production), and the agents' plans start from it. Runs until `log.running` is false.
 */
export function startBackground(
  log: TrafficLog,
  gateway: { url: string; apiKey: string },
  bodies: readonly Buffer[],
  ratePerS: number,
): { counts: BackgroundCounts; done: Promise<void> } {
  const counts: BackgroundCounts = { sent: 0, failed: 0 };
  const period = 1000 / ratePerS;
  const done = (async () => {
    for (let i = 0; log.running; i++) {
      const start = performance.now();
      try {
        const res = await fetch(`${gateway.url}/v1/infer`, {
          method: 'POST',
          body: bodies[i % bodies.length],
          headers: {
            'content-type': 'application/x-protobuf',
            authorization: `Bearer ${gateway.apiKey}`,
          },
        });
        await res.arrayBuffer();
        if (!res.ok) counts.failed++;
      } catch {
        counts.failed++;
      }
      counts.sent++;
      const left = period - (performance.now() - start);
      if (left > 0) await sleep(left);
    }
  })();
  return { counts, done };
}

/** Samples the planning agent's cloud view every `intervalMs` into `log.cloudSamples`; returns the stop function. */
export function startCloudSampler(
  log: TrafficLog,
  agent: MobileAgent,
  intervalMs = 500,
): () => void {
  const timer = setInterval(() => {
    const s = agent.status();
    const c = s['cloud'] as
      | { loadLevel?: number; partitions?: { queueDepth: number; expectedCloudMs: number }[] }
      | undefined;
    const parts = c?.partitions ?? [];
    log.cloudSamples.push({
      t: log.now(),
      phase: log.phase,
      loadLevel: c?.loadLevel ?? Number.NaN,
      candidate: String(s['candidate']),
      queueDepth: parts.reduce((sum, p) => sum + p.queueDepth, 0),
      maxExpectedCloudMs: Math.max(0, ...parts.map((p) => p.expectedCloudMs)),
    });
  }, intervalMs);
  return () => clearInterval(timer);
}
