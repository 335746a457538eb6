import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Label values that identify one hosted partition (or `cloud`, the full network). */
export interface PartitionLabels {
  readonly model: string;
  readonly version: string;
  readonly partition: string;
}

/** One partition's live numbers for the gauges. */
export interface PartitionGaugeSample {
  readonly labels: PartitionLabels;
  readonly queueDepth: number;
  readonly inFlight: number;
}

const durationBuckets = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/**
 * The worker's Prometheus metrics, on their own registry (so that several workers can live in one
 * process in tests). Names follow the Prometheus conventions: `bottlenet_worker_` prefix, base units
 * (seconds), `_total` counters; `promtool check metrics` is clean (a test runs it).
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'model' | 'version' | 'partition' | 'code'>;
  readonly queueDepth: Gauge<'model' | 'version' | 'partition'>;
  readonly inFlight: Gauge<'model' | 'version' | 'partition'>;
  readonly batchSize: Histogram<'model' | 'version' | 'partition'>;
  readonly queueDuration: Histogram<'model' | 'version' | 'partition'>;
  readonly decodeDuration: Histogram<'model' | 'version' | 'partition'>;
  readonly computeDuration: Histogram<'model' | 'version' | 'partition'>;
  readonly dropped: Counter<'model' | 'version' | 'partition' | 'reason'>;
  readonly ready: Gauge;
  readonly modelLoads: Counter<'model' | 'version' | 'result'>;
  readonly computeThreadRestarts: Counter<'thread' | 'result'>;
  readonly computeThreadsReady: Gauge;
  readonly computeThreadsAbandoned: Gauge;
  private sampler: (() => Iterable<PartitionGaugeSample>) | undefined;

  constructor(options: { maxBatchSize: number; workerId: string; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ worker: options.workerId });
    const partitionLabels = ['model', 'version', 'partition'] as const;
    this.requests = new Counter({
      name: 'bottlenet_worker_requests_total',
      help: 'Infer requests answered, by partition and gRPC status code name.',
      labelNames: [...partitionLabels, 'code'],
      registers,
    });
    // Both gauges are sampled from the batchers at scrape time.
    this.queueDepth = new Gauge({
      name: 'bottlenet_worker_queue_depth',
      help: 'Requests waiting in the partition batcher queue.',
      labelNames: partitionLabels,
      registers,
      collect: () => this.sampleInto(this.queueDepth, (s) => s.queueDepth),
    });
    this.inFlight = new Gauge({
      name: 'bottlenet_worker_in_flight_requests',
      help: 'Requests inside a session run.',
      labelNames: partitionLabels,
      registers,
      collect: () => this.sampleInto(this.inFlight, (s) => s.inFlight),
    });
    this.batchSize = new Histogram({
      name: 'bottlenet_worker_batch_size',
      help: 'Requests per session run.',
      labelNames: partitionLabels,
      buckets: batchBuckets(options.maxBatchSize),
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'bottlenet_worker_queue_duration_seconds',
      help: 'Time from arrival to the start of the session run of the request batch.',
      labelNames: partitionLabels,
      buckets: durationBuckets,
      registers,
    });
    this.decodeDuration = new Histogram({
      name: 'bottlenet_worker_decode_duration_seconds',
      help: 'Frame parse, codec decode and dequantize (JPEG decode and normalise for cloud-only) per request.',
      labelNames: partitionLabels,
      buckets: durationBuckets,
      registers,
    });
    this.computeDuration = new Histogram({
      name: 'bottlenet_worker_compute_duration_seconds',
      help: 'Session run time of one batch.',
      labelNames: partitionLabels,
      buckets: durationBuckets,
      registers,
    });
    this.dropped = new Counter({
      name: 'bottlenet_worker_dropped_requests_total',
      help: 'Requests dropped before compute, by reason (deadline, cancelled).',
      labelNames: [...partitionLabels, 'reason'],
      registers,
    });
    this.ready = new Gauge({
      name: 'bottlenet_worker_ready',
      help: '1 when every hosted model is loaded and warm (grpc.health.v1 SERVING), else 0.',
      registers,
    });
    this.modelLoads = new Counter({
      name: 'bottlenet_worker_model_loads_total',
      help: 'Model repository loads and reloads, by result (ok, error).',
      labelNames: ['model', 'version', 'result'],
      registers,
    });
    this.computeThreadRestarts = new Counter({
      name: 'bottlenet_worker_compute_thread_restarts_total',
      help: 'Attempts to replace a compute thread that died or was abandoned with a stuck run, by thread and result (ok: the replacement re-opened and warmed every session and took work; error: it failed and is retried with backoff).',
      labelNames: ['thread', 'result'],
      registers,
    });
    this.computeThreadsReady = new Gauge({
      name: 'bottlenet_worker_compute_threads_ready',
      help: 'Compute threads up with every session open and warm (the worker is NOT_SERVING while one is restarting).',
      registers,
    });
    this.computeThreadsAbandoned = new Gauge({
      name: 'bottlenet_worker_compute_threads_abandoned',
      help: 'Compute threads abandoned with a session run stuck past onnx.computeRunTimeoutMs (replaced; each exits when its run returns, so one that stays here is stuck for good and holds its memory).',
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the queue-depth and in-flight gauges read their values at scrape time. */
  setSampler(sampler: () => Iterable<PartitionGaugeSample>): void {
    this.sampler = sampler;
  }

  private sampleInto(
    gauge: Gauge<'model' | 'version' | 'partition'>,
    pick: (s: PartitionGaugeSample) => number,
  ): void {
    gauge.reset();
    for (const s of this.sampler?.() ?? []) gauge.labels(s.labels).set(pick(s));
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function batchBuckets(max: number): number[] {
  const out: number[] = [];
  for (let b = 1; b < max; b *= 2) out.push(b);
  out.push(max);
  return out;
}
