import { Type, type Static } from '@sinclair/typebox';

/** Names of the uplink presets (paper Table 3) plus `custom` and `none` (no shaping). */
const linkPresetNames = ['3g', '4g', 'wifi', 'custom', 'none'] as const;

const Positive = (def: number, description: string) =>
  Type.Number({ exclusiveMinimum: 0, default: def, description });
const NonNegative = (def: number, description: string) =>
  Type.Number({ minimum: 0, default: def, description });

/**
 * The agent's configuration file (JSON). Every field but `modelRepo` has a default; unknown fields
 * are rejected so that a typo does not silently fall back to a default.
 */
export const AgentConfigSchema = Type.Object(
  {
    modelRepo: Type.String({
      minLength: 1,
      description: 'path to models/<name> (the folder holding manifest.json)',
    }),
    gatewayUrl: Type.String({
      pattern: '^https?://',
      default: 'http://127.0.0.1:8080',
      description: 'gateway base URL',
    }),
    apiToken: Type.Optional(
      Type.String({ minLength: 1, description: 'bearer token sent to the gateway' }),
    ),
    deviceId: Type.String({
      minLength: 1,
      default: 'agent',
      description: 'name used in logs, metrics and requests',
    }),
    objective: Type.Union([Type.Literal('latency'), Type.Literal('energy')], {
      default: 'latency',
    }),
    strategy: Type.String({
      minLength: 1,
      default: 'auto',
      description: 'auto | cloud-only | mobile-only | <partition id>',
    }),
    executionProviders: Type.Array(
      Type.Union([Type.Literal('cpu'), Type.Literal('cuda'), Type.Literal('tensorrt')]),
      {
        minItems: 1,
        default: ['cpu'],
      },
    ),
    intraOpThreads: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
    link: Type.Object(
      {
        preset: Type.Union(
          linkPresetNames.map((n) => Type.Literal(n)),
          { default: 'none' },
        ),
        bandwidthMbps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100000 })),
        rttMs: Type.Optional(Type.Number({ minimum: 0, maximum: 10000 })),
        emulate: Type.Boolean({
          default: false,
          description: 'shape the uplink in-process to the preset',
        }),
        model: Type.Union([Type.Literal('paper'), Type.Literal('rtt')], {
          default: 'paper',
          description:
            "'paper': bandwidth only (Table 3); 'rtt': bandwidth plus the preset's round-trip time",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
        maxImageBytes: Type.Integer({ minimum: 1024, default: 8 * 1024 * 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
    control: Type.Object(
      {
        planIntervalMs: Positive(3000, 'how often to ask the gateway for the cloud view'),
        requestTimeoutMs: Positive(3000, 'deadline of one Infer call, then the fallback answers'),
        slowFactor: Type.Number({
          minimum: 1,
          default: 2,
          description: 'a request slower than this x expected triggers a re-plan',
        }),
        minGain: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.15,
          description: 'relative gain needed to switch',
        }),
        maxAccuracyLossPts: Type.Number({
          minimum: 0,
          maximum: 100,
          default: 2,
          description:
            "Algorithm 1's allowed accuracy loss: partitions whose manifest accuracy is more than this many points below the baseline are never chosen",
        }),
        minHoldMs: NonNegative(2000, 'least time between two switches'),
        backoffInitialMs: Positive(500, 'first retry delay when the gateway is unreachable'),
        backoffMaxMs: Positive(10000, 'largest retry delay'),
        ewmaAlpha: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.3 }),
        measureMobileLoad: Type.Boolean({
          default: true,
          description:
            'measure CPU use by other work as device load; turn off when the cloud runs on the same machine (demos, tests)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    energy: Type.Object(
      {
        profile: Type.String({
          minLength: 1,
          default: 'jetson-tx2',
          description: 'named mobile power profile',
        }),
        computeMw: Type.Optional(
          Type.Number({ exclusiveMinimum: 0, description: 'override PM (mW)' }),
        ),
        sysfsRoot: Type.String({
          default: '/sys',
          description: 'where to look for Jetson INA3221 power rails',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    emulation: Type.Object(
      {
        deviceSlowdown: Type.Number({
          minimum: 1,
          maximum: 1000,
          default: 1,
          description:
            'emulate a slower device: every session run takes this many times as long (demos and tests on a fast host)',
        }),
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

export type AgentConfig = Static<typeof AgentConfigSchema>;
