import { readFileSync } from 'node:fs';

/** CPU seconds so far of the worker process (all threads), of its JS thread alone, and of this process. */
export interface CpuSample {
  readonly worker: number;
  readonly jsThread: number;
  readonly client: number;
}

/** User + system CPU seconds in a /proc stat file. */
function statCpu(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of process `pid` (all threads; its JS thread alone) and of this process. */
export function cpuNow(pid: number): CpuSample {
  const self = process.cpuUsage();
  return {
    worker: statCpu(`/proc/${pid}/stat`),
    jsThread: statCpu(`/proc/${pid}/task/${pid}/stat`),
    client: (self.user + self.system) / 1e6,
  };
}
