import { cpus } from 'node:os';

interface CpuTimes {
  busy: number;
  total: number;
}

function machineTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/**
 * Measures how busy the device is with work other than this agent: the machine's CPU busy time
 * minus this process's own CPU time, over the machine's total CPU time since the last sample
 * (0 idle .. 1 saturated). Smoothed with an EWMA; the planner stretches head times by `1 / (1 - u)`.
 */
export class MobileLoadMeter {
  private last: CpuTimes;
  private lastOwnUs: number;
  private value = 0;

  constructor(
    private readonly alpha = 0.5,
    private readonly sampleMachine: () => CpuTimes = machineTimes,
    private readonly sampleOwnUs: () => number = () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    },
  ) {
    this.last = this.sampleMachine();
    this.lastOwnUs = this.sampleOwnUs();
  }

  /** Takes a sample and returns the smoothed utilisation by other work. */
  sample(): number {
    const now = this.sampleMachine();
    const ownUs = this.sampleOwnUs();
    const totalMs = now.total - this.last.total;
    const busyMs = now.busy - this.last.busy;
    const ownMs = (ownUs - this.lastOwnUs) / 1000;
    this.last = now;
    this.lastOwnUs = ownUs;
    if (totalMs > 0) {
      const u = Math.min(1, Math.max(0, (busyMs - ownMs) / totalMs));
      this.value += this.alpha * (u - this.value);
    }
    return this.value;
  }

  get utilisation(): number {
    return this.value;
  }
}
