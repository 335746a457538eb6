import { Type, type Static } from '@sinclair/typebox';

export const SCOPES = ['plan', 'models', 'infer'] as const;
export type Scope = (typeof SCOPES)[number];

export const ApiKeySchema = Type.Object(
  {
    /** Shown in logs and metrics instead of the key. */
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    /** The bearer token (at least 16 characters). */
    key: Type.String({ minLength: 16, maxLength: 256 }),
    /** Routes the key may call. @default all */
    scopes: Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), {
      default: [...SCOPES],
      uniqueItems: true,
    }),
    /** Requests per second per key over all routes (fixed one-second window). @default 1000 */
    ratePerSecond: Type.Integer({ minimum: 1, default: 1000 }),
  },
  { additionalProperties: false },
);

export const GatewayConfigSchema = Type.Object(
  {
    listen: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        /** 0 picks a free port (logged as `gateway listening`). @default 8080 */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.String({ pattern: '^rediss?://' }),
        /** Same prefix as the load monitor's. @default "bottlenet:" */
        keyPrefix: Type.String({ default: 'bottlenet:', pattern: '^[A-Za-z0-9_.:-]*$' }),
        /** Safety-net re-read of the summary besides the change channel. @default 500 */
        refreshMs: Type.Integer({ minimum: 10, default: 500 }),
        /** The view is stale when the summary is older than this or cannot be read. @default 2000 */
        staleAfterMs: Type.Integer({ minimum: 10, default: 2000 }),
        /** @default 50 */
        reconnectBaseMs: Type.Integer({ minimum: 1, default: 50 }),
        /** @default 2000 */
        reconnectMaxMs: Type.Integer({ minimum: 1, default: 2000 }),
      },
      { additionalProperties: false },
    ),
    apiKeys: Type.Array(ApiKeySchema, { minItems: 1 }),
    limits: Type.Object(
      {
        /** Largest request body, bytes (413 beyond). @default 1048576 */
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
        /** Largest /v1/plan body, bytes. @default 16384 */
        planBodyLimitBytes: Type.Integer({ minimum: 256, default: 16_384 }),
      },
      { additionalProperties: false, default: {} },
    ),
    infer: Type.Object(
      {
        /** Budget when the request's timeoutMs is 0. @default 10000 */
        defaultTimeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
        /** Larger budgets are cut to this. @default 60000 */
        maxTimeoutMs: Type.Integer({ minimum: 1, default: 60_000 }),
        /** After UNAVAILABLE from a worker, skip it for this long (until the view says otherwise). @default 1000 */
        suspectMs: Type.Integer({ minimum: 0, default: 1000 }),
        /**
         * A worker that was ready and is missing from the current view stays a last resort this long: tried
         * (reply marked stale) only when the view has no ready worker for the partition. 0 turns it off. @default 3000
         */
        lastKnownMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 3000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Folders holding model repositories (`<dir>/<name>/manifest.json`) for /v1/models and /v1/plan. @default [] */
    modelDirs: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    plan: Type.Object(
      {
        /** `switch` is true only when the chosen candidate beats the current one by this fraction. @default 0.1 */
        minRelativeGain: Type.Number({ minimum: 0, default: 0.1 }),
        /** Device speed for candidates without a measured profile (FLOPs / 1e9 per s). @default 10 */
        deviceGflops: Type.Number({ exclusiveMinimum: 0, default: 10 }),
        /** Device power while computing, for candidates without a measured profile, mW. @default 5000 */
        devicePowerMw: Type.Number({ minimum: 0, default: 5000 }),
        /** Cloud speed when the live view has no service time for a partition. @default 200 */
        cloudGflops: Type.Number({ exclusiveMinimum: 0, default: 200 }),
        /** Size of the cloud-only JPEG input per pixel, when the manifest has no profile. @default 0.8 */
        cloudOnlyBytesPerPixel: Type.Number({ exclusiveMinimum: 0, default: 0.8 }),
        /** Replies cached by request body for the current cloud view (0 turns the cache off). @default 4096 */
        cacheEntries: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 4096 }),
      },
      { additionalProperties: false, default: {} },
    ),
    shutdown: Type.Object(
      {
        /** After SIGTERM, /readyz answers 503 this long before the listener closes. @default 0 */
        drainDelayMs: Type.Integer({ minimum: 0, default: 0 }),
        /** Give up waiting for requests in progress after this. @default 10000 */
        timeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  },
  { additionalProperties: false },
);

export type GatewayConfig = Static<typeof GatewayConfigSchema>;
export type ApiKeyConfig = Static<typeof ApiKeySchema>;
