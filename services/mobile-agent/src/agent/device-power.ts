import type { Uplink } from '@bottlenet/planner';
import type { CompiledAgentConfig } from '../config/index.js';
import { JetsonPower, profileComputeMw } from '../energy/index.js';
import { uploadPowerMw } from '../link/index.js';

/** PM (the board's rails when present, else the configured profile) and the paper's energy per request. */
export class DevicePower {
  private readonly rails: JetsonPower;
  private pm: number;

  constructor(private readonly config: CompiledAgentConfig) {
    this.rails = new JetsonPower(config.energy.sysfsRoot);
    this.pm = profileComputeMw(config.energy.profile, config.energy.computeMw);
  }

  /** PM as of the last refresh, mW. */
  get computeMw(): number {
    return this.pm;
  }

  get source(): string {
    return this.rails.available
      ? `sysfs:${this.rails.railNames.join('+')}`
      : `profile:${this.config.energy.profile}`;
  }

  /** Re-reads the rails (planning rounds). */
  refresh(): void {
    if (this.rails.available) this.pm = this.rails.readMw() ?? this.pm;
  }

  /** Device energy of one request: TM * PM + transfer * PU + rtt * beta (the planner's model), mJ. */
  energyMj(link: Uplink, mobileMs: number, bytes: number, sent: boolean): number {
    const transfer = sent ? (bytes * 8) / (link.bandwidthMbps * 1000) : 0;
    const rtt = sent ? link.rttMs : 0;
    const pm = this.rails.available ? (this.rails.readMw() ?? this.pm) : this.pm;
    return (
      (mobileMs * pm +
        transfer *
          uploadPowerMw({ alphaU: link.alphaMwPerMbps, beta: link.betaMw }, link.bandwidthMbps) +
        rtt * link.betaMw) /
      1000
    );
  }
}
