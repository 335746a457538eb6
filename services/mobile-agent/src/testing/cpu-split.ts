// Where the e2e benches and the congestion run put the device and the cloud tier on this one machine.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TASKSET = '/usr/bin/taskset';

export interface CpuSplit {
  /** The `taskset -c` list for the cloud processes; undefined when device and cloud share the CPUs. */
  readonly cloudCpus?: string;
  readonly description: string;
}

/**
 * Pins this process (the agent: every thread, including onnxruntime's) to CPU 0 and returns the other
 * CPUs for the cloud tier. On two machines the cloud's work neither takes the device's core nor evicts
 * the device's caches while the device waits on the network; sharing the cores charged the device for
 * both in its measured time (and so in its energy), and a load generator congesting the cloud slowed
 * the emulated devices too. `shareBecause` (e.g. `E2E_CPU_SPLIT=0`) keeps everything on every CPU.
 */
export function splitCpus(shareBecause?: string): CpuSplit {
  const n = availableParallelism();
  if (shareBecause !== undefined)
    return {
      description: `device = this host's CPU, shared with the cloud tier (${shareBecause})`,
    };
  if (n < 2 || !existsSync(TASKSET))
    return {
      description: `device = this host's CPU, shared with the cloud tier (${n < 2 ? 'only one CPU' : `${TASKSET} missing`})`,
    };
  try {
    execFileSync(TASKSET, ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  } catch (e) {
    return {
      description: `device = this host's CPU, shared with the cloud tier (pinning to CPU 0 failed: ${(e as Error).message})`,
    };
  }
  const cloudCpus = n === 2 ? '1' : `1-${String(n - 1)}`;
  return {
    cloudCpus,
    description: `device = CPU 0 of this host (this process), cloud tier = CPU ${cloudCpus} (taskset), as on two machines`,
  };
}
