import type { InputSpec } from '@bottlenet/model-repo';
import { DynamicBatcher, type TimedOutputs } from '../batching/batcher.js';
import type { TailRunner } from '../compute/index.js';
import type { BatchingConfig } from '../config/index.js';
import { PartitionStats } from '../load/partition-stats.js';
import type { PartitionLabels, WorkerMetrics } from '../metrics/worker-metrics.js';

/** One sample's logits inside a batch output: `logits[offset, offset + classes)`. */
export interface LogitsSlice {
  readonly logits: Float32Array;
  readonly offset: number;
}

export interface HostedPartitionOptions {
  readonly model: string;
  readonly version: string;
  /** A manifest partition id, or `cloud` for the full network. */
  readonly partitionId: string;
  /** Per-sample input shape ([c',h',w'] or [C,H,W]). */
  readonly inputShape: readonly number[];
  /** Runs the network (on the JS thread or in a compute thread); its input holds `maxBatchSize` samples. */
  readonly runner: TailRunner;
  readonly classes: readonly string[];
  /** The manifest's input normalisation (used by the cloud-only path). */
  readonly inputSpec: InputSpec;
  readonly batching: BatchingConfig;
  readonly ewmaAlpha: number;
  readonly metrics: WorkerMetrics;
}

/**
 * One servable network of one model version: a tail (or the full network), its session, its batcher and
 * its load statistics. Inputs are per-sample float32 buffers of `inputShape`; a batch is copied into the
 * runner's preallocated input and run once.
 */
export class HostedPartition {
  readonly model: string;
  readonly version: string;
  readonly partitionId: string;
  readonly key: string;
  /** Per-sample input shape ([c',h',w'] for a tail, [C,H,W] for the full network). */
  readonly inputShape: readonly [number, number, number];
  readonly sampleSize: number;
  readonly numClasses: number;
  readonly classes: readonly string[];
  readonly inputSpec: InputSpec;
  readonly stats: PartitionStats;
  readonly batcher: DynamicBatcher<Float32Array, LogitsSlice>;
  readonly labels: PartitionLabels;
  /** Metric children bound once (a labelled lookup per request costs a label-hash each time). */
  readonly observeDecode: (seconds: number) => void;
  readonly countOk: () => void;
  private readonly runner: TailRunner;

  constructor(options: HostedPartitionOptions) {
    const { model, version, partitionId, runner, batching, metrics } = options;
    this.model = model;
    this.version = version;
    this.partitionId = partitionId;
    this.key = `${model}@${version}/${partitionId}`;
    const [c, h, w] = options.inputShape as [number, number, number];
    this.inputShape = [c, h, w];
    this.sampleSize = c * h * w;
    this.classes = options.classes;
    this.numClasses = options.classes.length;
    this.inputSpec = options.inputSpec;
    this.runner = runner;
    this.stats = new PartitionStats(options.ewmaAlpha);
    this.labels = { model, version, partition: partitionId };
    const decode = metrics.decodeDuration.labels(this.labels);
    this.observeDecode = (seconds) => decode.observe(seconds);
    const ok = metrics.requests.labels({ ...this.labels, code: 'ok' });
    this.countOk = () => ok.inc();
    const batchSize = metrics.batchSize.labels(this.labels);
    const compute = metrics.computeDuration.labels(this.labels);
    const queue = metrics.queueDuration.labels(this.labels);
    this.batcher = new DynamicBatcher<Float32Array, LogitsSlice>({
      name: this.key,
      maxBatchSize: batching.maxBatchSize,
      maxQueueDelayMs: batching.maxQueueDelayMs,
      maxQueueSize: batching.maxQueueSize,
      run: (inputs) => this.runBatch(inputs),
      retryAfterMs: (queued) => this.stats.expectedWaitMs(queued, batching.maxBatchSize),
      onBatch: (e) => {
        let sum = 0;
        for (const q of e.queueMs) {
          sum += q;
          queue.observe(q / 1000);
        }
        this.stats.recordBatch(e.size, e.computeMs, sum / e.size);
        batchSize.observe(e.size);
        compute.observe(e.computeMs / 1000);
      },
      onDrop: (reason) => metrics.dropped.labels({ ...this.labels, reason }).inc(),
    });
  }

  /** Concatenates the samples, runs the session once and slices the logits per sample. */
  async runBatch(inputs: readonly Float32Array[]): Promise<TimedOutputs<LogitsSlice>> {
    const n = inputs.length;
    const size = this.sampleSize;
    const data = this.runner.input;
    for (let i = 0; i < n; i++) data.set(inputs[i]!, i * size);
    // A single request with nothing queued behind it: the runner may skip the thread hop.
    const { logits, computeMs } = await this.runner.run(
      n,
      n === 1 && this.batcher.queueDepth === 0,
    );
    if (logits.length !== n * this.numClasses) {
      throw new Error(
        `${this.key}: the output has ${logits.length} values, expected a float32 [${n},${this.numClasses}] tensor`,
      );
    }
    const outputs: LogitsSlice[] = new Array<LogitsSlice>(n);
    for (let i = 0; i < n; i++) outputs[i] = { logits, offset: i * this.numClasses };
    return { outputs, computeMs };
  }

  /**
   * Runs `runs` batches of zeros at the largest batch size and at 1, so first requests pay no warm-up,
   * and reports the fastest lone run as the partition's idle service time until real batches replace it.
   */
  async warmUp(runs: number, maxBatchSize: number): Promise<void> {
    const zero = new Float32Array(this.sampleSize);
    let lone = Number.POSITIVE_INFINITY;
    for (let r = 0; r < runs; r++) {
      await this.runBatch(new Array<Float32Array>(maxBatchSize).fill(zero));
      lone = Math.min(lone, (await this.runBatch([zero])).computeMs);
    }
    if (Number.isFinite(lone)) this.stats.seedIdleService(lone);
  }

  /**
   * Re-measures the idle service time with one lone run of zeros when the partition has been idle long
   * enough (`PartitionStats.idleProbeDue`) and nothing is queued or running; true when it ran.
   */
  async probeIfIdle(everyMs: number): Promise<boolean> {
    if (!this.stats.idleProbeDue(everyMs)) return false;
    const r = await this.batcher.runAlone(() => this.runBatch([new Float32Array(this.sampleSize)]));
    if (r === undefined) return false;
    this.stats.recordIdleProbe(r.computeMs);
    return true;
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}
