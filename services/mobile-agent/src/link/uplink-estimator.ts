/**
 * Moving averages (EWMA) of the uplink's round-trip time and bandwidth, from real transfers:
 * RTT from small control-plane calls (time minus the server's own time), bandwidth from Infer calls
 * (payload bits over network time minus RTT). Starts from a prior (the configured link, if any).
 */
export class UplinkEstimator {
  private rtt: number | undefined;
  private bw: number | undefined;
  private rttSamples = 0;
  private bwSamples = 0;

  constructor(
    private readonly alpha: number,
    prior?: { bandwidthMbps: number; rttMs: number },
  ) {
    this.rtt = prior?.rttMs;
    this.bw = prior?.bandwidthMbps;
  }

  /** A small request whose network time is (almost) all round trip. */
  observeRtt(networkMs: number): void {
    if (!(networkMs >= 0) || !Number.isFinite(networkMs)) return;
    this.rtt = this.rtt === undefined ? networkMs : this.rtt + this.alpha * (networkMs - this.rtt);
    this.rttSamples++;
  }

  /**
   * A transfer of `bytes` whose network time (total minus the server-reported time) was `networkMs`.
   * Transfers too small to tell bandwidth from latency (< 1 ms of serialisation) are ignored.
   */
  observeTransfer(bytes: number, networkMs: number): void {
    const rtt = this.rtt ?? 0;
    const serialMs = networkMs - rtt;
    if (!(bytes > 0) || !(serialMs > 1) || !Number.isFinite(serialMs)) return;
    const mbps = (bytes * 8) / (serialMs * 1000);
    this.bw = this.bw === undefined ? mbps : this.bw + this.alpha * (mbps - this.bw);
    this.bwSamples++;
  }

  get bandwidthMbps(): number | undefined {
    return this.bw;
  }

  get rttMs(): number | undefined {
    return this.rtt;
  }

  snapshot(): {
    bandwidthMbps: number | undefined;
    rttMs: number | undefined;
    rttSamples: number;
    bandwidthSamples: number;
  } {
    return {
      bandwidthMbps: this.bw,
      rttMs: this.rtt,
      rttSamples: this.rttSamples,
      bandwidthSamples: this.bwSamples,
    };
  }
}
