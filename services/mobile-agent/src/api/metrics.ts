import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One candidate's per-request series, bound once (no label objects built per request). */
export interface CandidateSeries {
  readonly answered: Readonly<Record<'cloud' | 'mobile' | 'fallback', { inc(): void }>>;
  readonly latency: { observe(seconds: number): void };
  readonly uploadBytes: { inc(n: number): void };
  readonly energy: { inc(n: number): void };
}

/** The agent's Prometheus metrics, on their own registry (one per agent, so tests can run several). */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'bottlenet_agent_requests_total',
    help: 'Classifications by the candidate that started them and how they were answered (cloud, mobile, fallback, error)',
    labelNames: ['candidate', 'answered_by'] as const,
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: 'bottlenet_agent_fallbacks_total',
    help: 'Requests answered by mobile-only because the cloud failed or was late, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'bottlenet_agent_request_duration_seconds',
    help: 'End-to-end latency of a classification (device + uplink + cloud), by candidate',
    labelNames: ['candidate'] as const,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly overhead = new Histogram({
    name: 'bottlenet_agent_overhead_seconds',
    help: 'Agent time outside the head session run and the network (normalise, codec, protobuf, bookkeeping)',
    buckets: [0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.001, 0.002, 0.005],
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'bottlenet_agent_upload_bytes_total',
    help: 'Bytes of payload sent to the cloud (feature frames or JPEG inputs), by candidate',
    labelNames: ['candidate'] as const,
    registers: [this.registry],
  });
  readonly energy = new Counter({
    name: 'bottlenet_agent_energy_millijoules_total',
    help: "Device energy by the paper's model TM*PM + TU*PU, by candidate",
    labelNames: ['candidate'] as const,
    registers: [this.registry],
  });
  readonly switches = new Counter({
    name: 'bottlenet_agent_switches_total',
    help: 'Candidate switches',
    registers: [this.registry],
  });
  readonly plans = new Counter({
    name: 'bottlenet_agent_plan_rounds_total',
    help: 'Planning rounds by trigger and result (ok, gateway_unreachable)',
    labelNames: ['reason', 'result'] as const,
    registers: [this.registry],
  });
  readonly probes = new Counter({
    name: 'bottlenet_agent_probes_total',
    help: 'Probe requests sent to the cloud while mobile-only serves (keep the cloud view current), by result',
    labelNames: ['candidate', 'result'] as const,
    registers: [this.registry],
  });
  readonly current = new Gauge({
    name: 'bottlenet_agent_current_candidate',
    help: '1 for the candidate serving new requests, 0 for the others',
    labelNames: ['candidate'] as const,
    registers: [this.registry],
  });
  readonly bandwidth = new Gauge({
    name: 'bottlenet_agent_uplink_bandwidth_mbps',
    help: 'Estimated uplink bandwidth (moving average of real transfers)',
    registers: [this.registry],
  });
  readonly rtt = new Gauge({
    name: 'bottlenet_agent_uplink_rtt_ms',
    help: 'Estimated round-trip time to the gateway (moving average)',
    registers: [this.registry],
  });
  readonly mobileLoad = new Gauge({
    name: 'bottlenet_agent_mobile_utilisation',
    help: 'Device CPU utilisation by work other than the agent, 0..1',
    registers: [this.registry],
  });
  readonly gatewayUp = new Gauge({
    name: 'bottlenet_agent_gateway_reachable',
    help: '1 when the last call to the gateway succeeded',
    registers: [this.registry],
  });

  private readonly series = new Map<string, CandidateSeries>();

  /** The per-request series of `candidate`, created on first use. */
  candidate(candidate: string): CandidateSeries {
    let s = this.series.get(candidate);
    if (s === undefined) {
      const answered = (by: string): { inc(): void } =>
        this.requests.labels({ candidate, answered_by: by });
      s = {
        answered: {
          cloud: answered('cloud'),
          mobile: answered('mobile'),
          fallback: answered('fallback'),
        },
        latency: this.latency.labels({ candidate }),
        uploadBytes: this.uploadBytes.labels({ candidate }),
        energy: this.energy.labels({ candidate }),
      };
      this.series.set(candidate, s);
    }
    return s;
  }
}
