import type { Uplink } from '@bottlenet/planner';
import type { CompiledAgentConfig } from '../config/index.js';
import {
  LINK_PRESETS,
  LinkEmulator,
  UplinkEstimator,
  resolveLinkProfile,
  type LinkProfile,
} from '../link/index.js';

/**
 * The device's uplink as the agent knows it: the configured profile (emulated in-process or not) and
 * the moving averages of real transfers; `current()` is what the planner and the energy model use.
 */
export class DeviceLink {
  readonly profile: LinkProfile | undefined;
  readonly emulator: LinkEmulator | undefined;
  readonly estimator: UplinkEstimator;
  private cached: Uplink | undefined;

  constructor(config: CompiledAgentConfig) {
    this.profile = resolveLinkProfile(config.link);
    this.emulator =
      this.profile !== undefined && config.link.emulate
        ? new LinkEmulator(this.profile.bandwidthMbps, this.profile.rttMs)
        : undefined;
    this.estimator = new UplinkEstimator(config.control.ewmaAlpha, this.profile);
  }

  /** The uplink the planner sees: the configured link (emulated) or the measured averages. */
  current(): Uplink {
    if (this.emulator !== undefined && this.cached !== undefined) return this.cached; // fixed while emulated
    const base = this.profile ?? { ...LINK_PRESETS.wifi, name: 'measured' };
    const bw =
      this.emulator !== undefined
        ? base.bandwidthMbps
        : (this.estimator.bandwidthMbps ?? base.bandwidthMbps);
    const rtt = this.emulator !== undefined ? base.rttMs : (this.estimator.rttMs ?? base.rttMs);
    const u: Uplink = {
      name: base.name,
      bandwidthMbps: bw,
      rttMs: rtt,
      alphaMwPerMbps: base.alphaU,
      betaMw: base.beta,
    };
    if (this.emulator !== undefined) this.cached = u;
    return u;
  }

  /** A plan call's round trip: an RTT sample on a real link. */
  observePlan(totalMs: number): void {
    if (this.emulator === undefined) this.estimator.observeRtt(totalMs);
  }

  /**
   * An Infer's transfer. On a real link it feeds the bandwidth estimate; on an emulated link (known
   * bandwidth and RTT) it returns what is left after the server's time, the serialisation and the
   * round trip: the cloud-side path (gateway, gRPC hop, queues before the worker).
   */
  observeInfer(bytes: number, networkMs: number, serverMs: number): number | undefined {
    if (this.emulator === undefined) {
      this.estimator.observeTransfer(bytes, networkMs - serverMs);
      return undefined;
    }
    const path = networkMs - serverMs - this.emulator.transmitMs(bytes) - this.emulator.rttMs;
    return Number.isFinite(path) ? Math.max(0, path) : undefined;
  }
}
