// The two emulated devices of the congestion run, in this process: one planning (`auto`), one pinned
// to a partition, on the same emulated link and device speed.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Logger } from 'pino';
import {
  compileAgentConfig,
  startAgent,
  type ImageInput,
  type RunningAgent,
} from '@bottlenet/mobile-agent';
import type { CongestionOptions } from './options.js';
import type { SwitchRecord } from './traffic.js';

export interface CongestionAgent {
  readonly name: string;
  readonly running: RunningAgent;
}

function agentConfig(
  o: Pick<CongestionOptions, 'link' | 'slowdown'>,
  modelDir: string,
  mesh: { gatewayUrl: string; apiKey: string },
  deviceId: string,
  strategy: string,
): ReturnType<typeof compileAgentConfig> {
  return compileAgentConfig({
    modelRepo: modelDir,
    gatewayUrl: mesh.gatewayUrl,
    apiToken: mesh.apiKey,
    deviceId,
    strategy,
    link: { preset: o.link, emulate: true, model: 'rtt' },
    emulation: { deviceSlowdown: o.slowdown },
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
}

/**
 * Starts `adaptive` (strategy auto) and `fixed-<partition>`, in that order, pushing each into
 * `agents` as soon as it runs (so that the caller's cleanup closes a started one even when the next
 * fails to start).
 */
export async function startAgents(o: {
  options: Pick<CongestionOptions, 'link' | 'slowdown' | 'fixed'>;
  modelDir: string;
  mesh: { gatewayUrl: string; apiKey: string };
  logger: Logger;
  samples: readonly ImageInput[];
  agents: CongestionAgent[];
  onSwitch: (s: Omit<SwitchRecord, 't'>) => void;
}): Promise<void> {
  for (const [name, strategy] of [
    ['adaptive', 'auto'],
    [`fixed-${o.options.fixed}`, o.options.fixed],
  ] as const) {
    const ra = await startAgent(agentConfig(o.options, o.modelDir, o.mesh, name, strategy), {
      logger: o.logger.child({ device: name }),
      samples: o.samples,
    });
    ra.agent.on('switch', (s: { from: string; to: string; why: string }) =>
      o.onSwitch({ agent: name, ...s }),
    );
    o.agents.push({ name, running: ra });
  }
}

/**
 * The emulated devices run in this process. On one shared host the cloud's load would also stretch
 * device compute, which separate hardware does not; so this process's threads get a higher CPU
 * priority (nice -5) once the agents run. The cloud tier and k6 keep the default priority, competing
 * with whatever else runs on the machine.
 */
export function raiseOwnPriority(): void {
  for (const tid of readdirSync(`/proc/${String(process.pid)}/task`))
    spawnSync('renice', ['-n', '-5', '-p', tid]);
}
