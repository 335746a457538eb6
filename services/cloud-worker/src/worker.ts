import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Code, MeshError } from '@bottlenet/errors';
import { HealthService, type InferenceServiceServer } from '@bottlenet/protocol';
import type { CompiledWorkerConfig } from './config/index.js';
import { getLoadHandler } from './grpc/get-load-handler.js';
import { HealthState } from './grpc/health-service.js';
import { inferHandler, type InferContext } from './grpc/infer-handler.js';
import { inferStreamHandler } from './grpc/infer-stream-handler.js';
import { WorkerInferenceService } from './grpc/reply-serializer.js';
import { ModelHost } from './hosting/model-host.js';
import { IdleProber } from './load/idle-prober.js';
import { LoadReporter } from './load/load-reporter.js';
import { createLogger, type Logger } from './logger.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';

export interface StartWorkerOptions {
  /** A pino logger; one is made from `config.logLevel` when omitted. */
  readonly logger?: Logger;
  /** Register prom-client's default process metrics. @default true */
  readonly defaultMetrics?: boolean;
}

/** A running cloud worker. */
export interface CloudWorker {
  readonly config: CompiledWorkerConfig;
  /** The bound gRPC port (the real one when the config asked for 0). */
  readonly grpcPort: number;
  /** The bound metrics port, undefined when metrics are off. */
  readonly metricsPort: number | undefined;
  readonly metrics: WorkerMetrics;
  readonly host: ModelHost;
  /** True while every model is loaded and warm, every compute thread is up and the worker is not draining. */
  isReady(): boolean;
  /** Loads (new versions of) model repositories beside the served ones and swaps them in; no request is dropped. */
  reload(dirs?: readonly string[]): Promise<void>;
  /**
   * Graceful stop: NOT_SERVING, refuse new calls, let queued and running requests finish (up to
   * `drainTimeoutMs`), then release everything. Resolves with whether the drain completed in time.
   */
  shutdown(): Promise<boolean>;
}

/**
 * Starts a worker: binds gRPC (health reports NOT_SERVING meanwhile), loads and warms every model
 * repository, then reports SERVING and starts the metrics endpoint. A bad or missing repository rejects
 * with the model-repo error (the server is closed again).
 */
export async function startWorker(
  config: CompiledWorkerConfig,
  options: StartWorkerOptions = {},
): Promise<CloudWorker> {
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, workerId: config.workerId });
  const metrics = new WorkerMetrics({
    maxBatchSize: config.batching.maxBatchSize,
    workerId: config.workerId,
    defaultMetrics: options.defaultMetrics ?? true,
  });
  const host = new ModelHost({ config, metrics, logger });
  metrics.setSampler(() =>
    host.partitions().map((p) => ({
      labels: p.labels,
      queueDepth: p.batcher.queueDepth,
      inFlight: p.batcher.inFlight,
    })),
  );
  const health = new HealthState();
  let state: 'loading' | 'serving' | 'draining' | 'stopped' = 'loading';
  let grpcPort = 0;
  // Serving needs every compute thread up: while one restarts, the networks on it cannot run.
  const isReady = (): boolean => state === 'serving' && host.computeReady();
  const refreshHealth = (): void => {
    const ready = isReady();
    health.set(ready);
    metrics.ready.set(ready ? 1 : 0);
  };
  const setState = (s: typeof state): void => {
    state = s;
    refreshHealth();
  };
  host.onComputeReadyChange(refreshHealth);
  metrics.ready.set(0);

  const reporter = new LoadReporter({
    workerId: config.workerId,
    host,
    isReady,
    address: () => `${config.grpc.host}:${grpcPort}`,
  });
  const ctx: InferContext = {
    workerId: config.workerId,
    host,
    reporter,
    metrics,
    logger,
    notServingReason: () =>
      state === 'serving'
        ? host.computeNotReadyReason()
        : state === 'loading'
          ? 'models are loading'
          : 'draining for shutdown',
    frameLimits: { maxFrameBytes: config.grpc.maxReceiveMessageBytes },
    defaultTopK: config.defaultTopK,
  };

  const server = new Server({
    'grpc.max_receive_message_length': config.grpc.maxReceiveMessageBytes,
  });
  const inference: InferenceServiceServer = {
    infer: inferHandler(ctx),
    getLoad: getLoadHandler(reporter),
    inferStream: inferStreamHandler(ctx),
  };
  server.addService(WorkerInferenceService, inference);
  server.addService(HealthService, health.implementation());
  grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${config.grpc.host}:${config.grpc.port}`,
      ServerCredentials.createInsecure(),
      (err, port) => {
        if (err)
          reject(
            new MeshError(
              Code.Unavailable,
              `cannot listen on ${config.grpc.host}:${config.grpc.port}: ${err.message}`,
              { cause: err },
            ),
          );
        else resolve(port);
      },
    );
  });
  logger.info({ port: grpcPort }, 'gRPC listening (NOT_SERVING until models are warm)');

  const metricsServer = new MetricsServer(metrics, isReady);
  let metricsPort: number | undefined;
  try {
    if (config.metrics.enabled)
      metricsPort = await metricsServer.listen(config.metrics.host, config.metrics.port);
    await host.load(config.models);
  } catch (e) {
    server.forceShutdown();
    await metricsServer.close();
    await host.close();
    throw e;
  }
  const prober = new IdleProber(() => host.partitions(), config.idleProbeMs, logger);
  prober.start();
  setState('serving');
  logger.info(
    { grpcPort, metricsPort, models: host.servedModels().map((m) => `${m.name}@${m.version}`) },
    'worker SERVING',
  );

  let shutdownPromise: Promise<boolean> | undefined;
  const shutdown = async (): Promise<boolean> => {
    setState('draining');
    health.endWatches();
    logger.info({ drainTimeoutMs: config.drainTimeoutMs }, 'draining');
    await prober.stop();
    const serverClosed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    const drained = await host.drain(config.drainTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      serverClosed,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
    server.forceShutdown();
    await metricsServer.close();
    await host.close();
    setState('stopped');
    logger.info({ drained }, 'worker stopped');
    return drained;
  };

  return {
    config,
    grpcPort,
    metricsPort,
    metrics,
    host,
    isReady,
    reload: async (dirs) => {
      await host.load(dirs ?? config.models);
    },
    shutdown: () => (shutdownPromise ??= shutdown()),
  };
}
