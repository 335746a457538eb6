import { Type, type Static } from '@sinclair/typebox';

/**
 * The worker's configuration schema. Every field has a default, so `{}` plus at least one model
 * directory is a complete configuration. `additionalProperties: false` everywhere: a misspelt key is an
 * error that names it, never a silently ignored setting.
 */
const strict = { additionalProperties: false } as const;

export const BatchingSchema = Type.Object(
  {
    /** Largest number of requests concatenated into one session run. @default 32 */
    maxBatchSize: Type.Integer({ minimum: 1, maximum: 4096, default: 32 }),
    /**
     * How long the oldest queued request may wait for a batch to fill while the partition is idle.
     * 0 (Triton's default) dispatches whatever is queued as soon as the session is free; batches still form
     * at load because requests accumulate while a run is in progress. @default 0
     */
    maxQueueDelayMs: Type.Number({ minimum: 0, maximum: 10_000, default: 0 }),
    /** Bound of each partition's queue; a full queue answers RESOURCE_EXHAUSTED at once. @default 512 */
    maxQueueSize: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 512 }),
  },
  { ...strict, default: {} },
);

export const WorkerConfigSchema = Type.Object(
  {
    /** Worker id reported in load reports and metrics; defaults to the host name. */
    workerId: Type.String({ minLength: 1, maxLength: 128, default: '' }),
    /** Model directories, each holding a `manifest.json`; relative paths resolve against the cwd. */
    models: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: [] }),
    grpc: Type.Object(
      {
        /** @default '0.0.0.0' */
        host: Type.String({ minLength: 1, default: '0.0.0.0' }),
        /** 0 picks a free port (tests). @default 50051 */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 50051 }),
        /** grpc-js max receive message size; larger requests fail with RESOURCE_EXHAUSTED. @default 4194304 */
        maxReceiveMessageBytes: Type.Integer({
          minimum: 1024,
          maximum: 64 * 1024 * 1024,
          default: 4 * 1024 * 1024,
        }),
      },
      { ...strict, default: {} },
    ),
    metrics: Type.Object(
      {
        /** Serve `/metrics` over HTTP. @default true */
        enabled: Type.Boolean({ default: true }),
        /** @default '0.0.0.0' */
        host: Type.String({ minLength: 1, default: '0.0.0.0' }),
        /** 0 picks a free port. @default 9464 */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
      },
      { ...strict, default: {} },
    ),
    batching: BatchingSchema,
    onnx: Type.Object(
      {
        /** Threads of one session run (0 lets onnxruntime pick). @default 0 */
        intraOpNumThreads: Type.Integer({ minimum: 0, maximum: 256, default: 0 }),
        /**
         * Threads (node:worker_threads) that run the sessions, so that a session run never blocks the JS
         * thread serving gRPC; hosted networks are spread over them round-robin. 0 runs the sessions on
         * the JS thread. @default 1
         */
        computeThreads: Type.Integer({ minimum: 0, maximum: 64, default: 1 }),
        /** Warm-up runs per session at the largest batch size before reporting SERVING. @default 2 */
        warmupRuns: Type.Integer({ minimum: 0, maximum: 100, default: 2 }),
        /**
         * Delay before a compute thread that died is replaced; doubles with each failed attempt, back to
         * this once a thread stayed up for a minute. @default 100
         */
        computeRestartDelayMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 100 }),
        /** Cap of the restart delay. @default 10000 */
        computeRestartMaxDelayMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 10_000 }),
        /**
         * Watchdog: a session run that has not returned after this long counts as stuck; its thread is
         * abandoned (it exits when the run returns) and replaced like a thread that died. Set it well above
         * the slowest batch (and the slowest session open, which can queue runs behind it). 0 turns it
         * off. @default 30000
         */
        computeRunTimeoutMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000 }),
      },
      { ...strict, default: {} },
    ),
    /** Classes returned per request when the request asks for none. @default 5 */
    defaultTopK: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
    /** Weight of the newest sample in the EWMA service times (0..1]. @default 0.2 */
    ewmaAlpha: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.2 }),
    /**
     * How often a partition idle for 2 s is re-measured with one lone run of zeros, so that its reported
     * service time is not the one from a congestion long over; 0 disables. @default 5000
     */
    idleProbeMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 5000 }),
    /** How long SIGTERM waits for queued and running requests before exiting. @default 10000 */
    drainTimeoutMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
    /** pino level. @default 'info' */
    logLevel: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info' },
    ),
  },
  strict,
);

export type WorkerConfig = Static<typeof WorkerConfigSchema>;
export type BatchingConfig = Static<typeof BatchingSchema>;

/** Every field optional, as written in a JSON file or passed by a caller. */
export type WorkerOptions = {
  [K in keyof WorkerConfig]?: WorkerConfig[K] extends unknown[]
    ? WorkerConfig[K]
    : WorkerConfig[K] extends object
      ? Partial<WorkerConfig[K]>
      : WorkerConfig[K];
};
