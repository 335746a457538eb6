import type { LoadHint, LoadReport, PartitionLoad } from '@bottlenet/protocol';
import type { HostedPartition } from '../hosting/hosted-partition.js';
import type { ModelHost } from '../hosting/model-host.js';

export interface LoadReporterOptions {
  readonly workerId: string;
  readonly host: ModelHost;
  readonly isReady: () => boolean;
  /** host:port others reach the worker at, once known. */
  readonly address: () => string;
  /** A reply's load hint is rebuilt at most this often, milliseconds. @default 1 */
  readonly hintMaxAgeMs?: number;
}

/** Builds GetLoad's report and the load hint of every reply from the hosted partitions' live numbers. */
export class LoadReporter {
  private hint: LoadHint | undefined;
  private hintAt = -Infinity;
  private readonly hintMaxAgeMs: number;

  constructor(private readonly options: LoadReporterOptions) {
    this.hintMaxAgeMs = options.hintMaxAgeMs ?? 1;
  }

  report(): LoadReport {
    const parts = this.options.host.partitions();
    const partitions = parts.map(partitionLoad);
    return {
      workerId: this.options.workerId,
      address: this.options.address(),
      models: this.options.host.servedModels().map((m) => ({
        name: m.name,
        version: m.version,
        partitionIds: [...m.partitions.keys()],
      })),
      partitions,
      ...totals(parts, partitions),
      timestampMs: Date.now(),
      ready: this.options.isReady(),
    };
  }

  /** The hint carried in replies; shared by the replies of one batch (rebuilt when older than 1 ms). */
  loadHint(): LoadHint {
    const now = performance.now();
    if (this.hint !== undefined && now - this.hintAt < this.hintMaxAgeMs) return this.hint;
    const parts = this.options.host.partitions();
    const partitions = parts.map(partitionLoad);
    this.hint = {
      workerId: this.options.workerId,
      partitions,
      ...totals(parts, partitions),
      timestampMs: Date.now(),
    };
    this.hintAt = now;
    return this.hint;
  }
}

function partitionLoad(p: HostedPartition): PartitionLoad {
  const s = p.stats.snapshot();
  return {
    model: p.model,
    version: p.version,
    partitionId: p.partitionId,
    queueDepth: p.batcher.queueDepth,
    inFlight: p.batcher.inFlight,
    ewmaServiceMs: s.ewmaServiceMs,
    ewmaBatchSize: s.ewmaBatchSize,
    ewmaQueueMs: s.ewmaQueueMs,
    maxBatchSize: p.batcher.maxBatchSize,
    completedTotal: s.completedTotal,
  };
}

function totals(
  parts: readonly HostedPartition[],
  loads: readonly PartitionLoad[],
): { queueDepth: number; inFlight: number; capacity: number; queueCapacity: number } {
  let queueDepth = 0;
  let inFlight = 0;
  let capacity = 0;
  let queueCapacity = 0;
  for (let i = 0; i < parts.length; i++) {
    queueDepth += loads[i]!.queueDepth;
    inFlight += loads[i]!.inFlight;
    capacity += parts[i]!.batcher.maxBatchSize;
    queueCapacity += parts[i]!.batcher.maxQueueSize;
  }
  return { queueDepth, inFlight, capacity, queueCapacity };
}
