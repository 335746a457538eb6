import { Code, MeshError } from '@bottlenet/errors';
import {
  describeTarget,
  loadModelRepository,
  openSession,
  type ModelRepository,
  type SessionTarget,
} from '@bottlenet/model-repo';
import { CLOUD_ONLY_ID } from '@bottlenet/protocol';
import { ComputePool, InlineRunner, ThreadRunner, type TailRunner } from '../compute/index.js';
import type { CompiledWorkerConfig } from '../config/index.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { HostedPartition } from './hosted-partition.js';
import type { Logger } from '../logger.js';

/** One loaded model version: its repository and a hosted network per partition plus `cloud`. */
export interface HostedModel {
  readonly name: string;
  readonly version: string;
  readonly repo: ModelRepository;
  readonly partitions: ReadonlyMap<string, HostedPartition>;
}

export interface ModelHostOptions {
  readonly config: CompiledWorkerConfig;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

/** Versions kept per model name: the newest (the default) and the one before, for agents still on it. */
const KEPT_VERSIONS = 2;

/**
 * Hosts every model version the worker serves. Loading validates the repository (manifest schema and
 * sha256 of every file, through @bottlenet/model-repo), opens one session per tail plus the full network,
 * and warms each up before the version becomes visible. A reload loads the new version beside the old
 * ones and swaps it in atomically: requests already queued on an older version finish there; versions
 * beyond the newest {@link KEPT_VERSIONS} are closed, drained and released.
 */
export class ModelHost {
  /** name -> versions, newest first. */
  private models = new Map<string, HostedModel[]>();
  private readonly config: CompiledWorkerConfig;
  private readonly metrics: WorkerMetrics;
  private readonly logger: Logger;
  /** Compute threads running the sessions; undefined when sessions run on the JS thread. */
  readonly compute: ComputePool | undefined;
  private readonly computeListeners: (() => void)[] = [];

  constructor(options: ModelHostOptions) {
    this.config = options.config;
    this.metrics = options.metrics;
    this.logger = options.logger;
    const { computeThreads, computeRestartDelayMs, computeRestartMaxDelayMs, computeRunTimeoutMs } =
      this.config.onnx;
    const metrics = this.metrics;
    this.compute =
      computeThreads > 0
        ? new ComputePool({
            size: computeThreads,
            backoff: { initialMs: computeRestartDelayMs, maxMs: computeRestartMaxDelayMs },
            logger: this.logger,
            onReadyChange: () => {
              metrics.computeThreadsReady.set(this.compute?.readyCount ?? 0);
              for (const l of this.computeListeners) l();
            },
            onRestart: (thread, result) =>
              metrics.computeThreadRestarts.labels({ thread, result }).inc(),
            runTimeoutMs: computeRunTimeoutMs,
            onAbandonedChange: (delta) => metrics.computeThreadsAbandoned.inc(delta),
            onThreadStarted: (thread) => {
              // Expose the series at 0 from the start, so that rate() and increase() see the first restart.
              metrics.computeThreadRestarts.labels({ thread, result: 'ok' }).inc(0);
              metrics.computeThreadRestarts.labels({ thread, result: 'error' }).inc(0);
              metrics.computeThreadsReady.set(this.compute?.readyCount ?? 0);
            },
          })
        : undefined;
  }

  /** False while a compute thread is restarting (the networks on it cannot run). */
  computeReady(): boolean {
    return this.compute?.ready ?? true;
  }

  /** Why some hosted network cannot run now, or undefined. */
  computeNotReadyReason(): string | undefined {
    return this.compute?.notReadyReason;
  }

  /** Calls `listener` whenever {@link computeReady} may have changed. */
  onComputeReadyChange(listener: () => void): void {
    this.computeListeners.push(listener);
  }

  /** Loads and warms every directory; the first failure throws and nothing of this call is kept. */
  async load(dirs: readonly string[]): Promise<HostedModel[]> {
    const loaded: HostedModel[] = [];
    try {
      for (const dir of dirs) loaded.push(await this.loadOne(dir));
    } catch (e) {
      await Promise.all(loaded.map((m) => releaseModel(m)));
      throw e;
    }
    const retired: HostedModel[] = [];
    for (const m of loaded) {
      const versions = (this.models.get(m.name) ?? []).filter((v) => v.version !== m.version);
      const replaced = (this.models.get(m.name) ?? []).filter((v) => v.version === m.version);
      const next = [m, ...versions];
      retired.push(...replaced, ...next.slice(KEPT_VERSIONS));
      this.models.set(m.name, next.slice(0, KEPT_VERSIONS));
      this.logger.info(
        { model: m.name, version: m.version, partitions: [...m.partitions.keys()] },
        'model version serving',
      );
    }
    await Promise.all(retired.map((m) => this.retire(m)));
    return loaded;
  }

  /**
   * The hosted network for a request. NOT_FOUND with a message naming what is unknown: the model, the
   * version (listing those served) or the partition (listing those hosted).
   */
  resolve(model: string, version: string, partitionId: string): HostedPartition {
    const versions = this.models.get(model);
    if (versions === undefined || versions.length === 0) {
      throw new MeshError(
        Code.NotFound,
        `unknown model "${model}" (this worker serves ${this.modelNames().join(', ') || 'none'})`,
        {
          type: 'model_unknown',
        },
      );
    }
    const hosted = version === '' ? versions[0]! : versions.find((v) => v.version === version);
    if (hosted === undefined) {
      throw new MeshError(
        Code.NotFound,
        `model "${model}" has no version "${version}" on this worker (serving ${versions.map((v) => v.version).join(', ')})`,
        { type: 'version_unknown' },
      );
    }
    const p = hosted.partitions.get(partitionId);
    if (p === undefined) {
      throw new MeshError(
        Code.NotFound,
        `model "${model}" version "${hosted.version}" has no partition "${partitionId}" (it has ${[...hosted.partitions.keys()].join(', ')})`,
        { type: 'partition_unknown' },
      );
    }
    return p;
  }

  /** Every hosted model version, newest first within a name. */
  servedModels(): HostedModel[] {
    return [...this.models.values()].flat();
  }

  /** Every hosted partition of every version. */
  partitions(): HostedPartition[] {
    return this.servedModels().flatMap((m) => [...m.partitions.values()]);
  }

  modelNames(): string[] {
    return [...this.models.keys()];
  }

  /** Closes every batcher (new requests get UNAVAILABLE) and waits for queued and running work. */
  async drain(timeoutMs: number): Promise<boolean> {
    const parts = this.partitions();
    for (const p of parts) p.batcher.close('the worker is draining');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>(
      (resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)),
    );
    const idle = Promise.all(parts.map((p) => p.batcher.whenIdle())).then(() => true as const);
    const done = await Promise.race([idle, timedOut]);
    clearTimeout(timer);
    if (!done) {
      const err = new MeshError(Code.Unavailable, 'the worker shut down before this request ran', {
        type: 'draining',
      });
      for (const p of parts) p.batcher.abortQueued(err);
    }
    return done;
  }

  /** Releases every session (after {@link drain}) and stops the compute threads. */
  async close(): Promise<void> {
    const all = this.servedModels();
    this.models = new Map();
    await Promise.all(all.map((m) => releaseModel(m)));
    await this.compute?.close();
  }

  /**
   * Opens (and validates, through model-repo) the session of one network; with compute threads the file
   * is also opened in a thread with the same options (the JS thread's session serves lone requests).
   */
  private async openRunner(
    repo: ModelRepository,
    target: SessionTarget,
  ): Promise<{ runner: TailRunner; inputShape: readonly number[] }> {
    const options = { intraOpNumThreads: this.config.onnx.intraOpNumThreads, interOpNumThreads: 1 };
    const opened = await openSession(repo, target, options);
    const maxBatchSize = this.config.batching.maxBatchSize;
    if (this.compute === undefined)
      return { runner: new InlineRunner(opened, maxBatchSize), inputShape: opened.inputShape };
    try {
      const runner = await ThreadRunner.open(this.compute.take(), repo.filePath(target), opened, {
        ...options,
        maxBatchSize,
        warmupRuns: this.config.onnx.warmupRuns,
      });
      return { runner, inputShape: opened.inputShape };
    } catch (e) {
      await opened.session.release();
      throw new MeshError(
        Code.FailedPrecondition,
        `cannot open ${describeTarget(target)} of ${repo.manifest.name} in a compute thread: ${(e as Error).message}`,
        {
          type: 'session_create_failed',
          cause: e,
        },
      );
    }
  }

  private async loadOne(dir: string): Promise<HostedModel> {
    const started = performance.now();
    let repo: ModelRepository;
    try {
      repo = await loadModelRepository(dir);
    } catch (e) {
      this.metrics.modelLoads.labels({ model: dir, version: '', result: 'error' }).inc();
      throw e;
    }
    const { name, version, classes } = repo.manifest;
    const targets: [string, SessionTarget][] = [
      ...repo.partitionIds.map((id): [string, SessionTarget] => [
        id,
        { partition: id, part: 'tail' },
      ]),
      [CLOUD_ONLY_ID, 'full'],
    ];
    const partitions = new Map<string, HostedPartition>();
    try {
      for (const [id, target] of targets) {
        const { runner, inputShape } = await this.openRunner(repo, target);
        const hosted = new HostedPartition({
          model: name,
          version,
          partitionId: id,
          runner,
          inputShape,
          classes,
          inputSpec: repo.manifest.input,
          batching: this.config.batching,
          ewmaAlpha: this.config.ewmaAlpha,
          metrics: this.metrics,
        });
        partitions.set(id, hosted);
        await hosted.warmUp(this.config.onnx.warmupRuns, this.config.batching.maxBatchSize);
      }
    } catch (e) {
      await Promise.all([...partitions.values()].map((p) => p.release()));
      this.metrics.modelLoads.labels({ model: name, version, result: 'error' }).inc();
      throw e;
    }
    this.metrics.modelLoads.labels({ model: name, version, result: 'ok' }).inc();
    this.logger.info(
      { model: name, version, dir: repo.dir, ms: Math.round(performance.now() - started) },
      'model loaded and warm',
    );
    return { name, version, repo, partitions };
  }

  private async retire(m: HostedModel): Promise<void> {
    const parts = [...m.partitions.values()];
    for (const p of parts) p.batcher.close(`model "${m.name}" version "${m.version}" was unloaded`);
    await Promise.all(parts.map((p) => p.batcher.whenIdle()));
    await releaseModel(m);
    this.logger.info({ model: m.name, version: m.version }, 'model version retired');
  }
}

async function releaseModel(m: HostedModel): Promise<void> {
  await Promise.all([...m.partitions.values()].map((p) => p.release()));
}
