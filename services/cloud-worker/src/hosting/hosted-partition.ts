import { Tensor } from 'onnxruntime-node';
import type { InputSpec, OpenedSession } from '@bottlenet/model-repo';
import { DynamicBatcher } from '../batching/batcher.js';
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
  readonly opened: OpenedSession;
  readonly classes: readonly string[];
  /** The manifest's input normalisation (used by the cloud-only path). */
  readonly inputSpec: InputSpec;
  readonly batching: BatchingConfig;
  readonly ewmaAlpha: number;
  readonly metrics: WorkerMetrics;
}

/**
 * One servable network of one model version: a tail (or the full network), its session, its batcher and
 * its load statistics. Inputs are per-sample float32 buffers of `inputShape`; a batch is copied into one
 * preallocated tensor and run once.
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
  private readonly opened: OpenedSession;
  private readonly batchBuffer: Float32Array;

  constructor(options: HostedPartitionOptions) {
    const { model, version, partitionId, opened, batching, metrics } = options;
    this.model = model;
    this.version = version;
    this.partitionId = partitionId;
    this.key = `${model}@${version}/${partitionId}`;
    const [c, h, w] = opened.inputShape as [number, number, number];
    this.inputShape = [c, h, w];
    this.sampleSize = c * h * w;
    this.classes = options.classes;
    this.numClasses = options.classes.length;
    this.inputSpec = options.inputSpec;
    this.opened = opened;
    this.batchBuffer = new Float32Array(batching.maxBatchSize * this.sampleSize);
    this.stats = new PartitionStats(options.ewmaAlpha);
    this.labels = { model, version, partition: partitionId };
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
  async runBatch(inputs: readonly Float32Array[]): Promise<LogitsSlice[]> {
    const n = inputs.length;
    const size = this.sampleSize;
    const data = this.batchBuffer.subarray(0, n * size);
    for (let i = 0; i < n; i++) data.set(inputs[i]!, i * size);
    const feeds = { [this.opened.inputName]: new Tensor('float32', data, [n, ...this.inputShape]) };
    const out = await this.opened.session.run(feeds);
    const t = out[this.opened.outputName];
    if (t === undefined || !(t.data instanceof Float32Array) || t.data.length !== n * this.numClasses) {
      throw new Error(`${this.key}: output "${this.opened.outputName}" is not a float32 [${n},${this.numClasses}] tensor`);
    }
    const logits = t.data;
    const slices: LogitsSlice[] = new Array<LogitsSlice>(n);
    for (let i = 0; i < n; i++) slices[i] = { logits, offset: i * this.numClasses };
    return slices;
  }

  /** Runs `runs` batches of zeros at the largest batch size and at 1, so first requests pay no warm-up. */
  async warmUp(runs: number, maxBatchSize: number): Promise<void> {
    const zero = new Float32Array(this.sampleSize);
    for (let r = 0; r < runs; r++) {
      await this.runBatch(new Array<Float32Array>(maxBatchSize).fill(zero));
      await this.runBatch([zero]);
    }
  }

  async release(): Promise<void> {
    await this.opened.session.release();
  }
}
