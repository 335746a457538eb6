import { Type, type Static } from '@sinclair/typebox';

const HostPort = Type.String({
  pattern: '^[^\\s:]+:[0-9]{1,5}$',
  description: 'host:port of a worker InferenceService',
});

/** A DNS name that resolves to many A records (a Kubernetes headless Service), all on one port. */
export const DnsTargetSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** DNS servers (`ip` or `ip:port`) to ask instead of the system's. @default the system resolver */
    servers: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);

export const LoadMonitorConfigSchema = Type.Object(
  {
    /** Stable id of this monitor, in the summary and in logs. @default the host name */
    monitorId: Type.Optional(Type.String({ minLength: 1 })),
    redis: Type.Object(
      {
        url: Type.String({ pattern: '^rediss?://', description: 'redis://host:port[/db]' }),
        /** Prefix of every key and channel (see docs/control-plane.md). @default "bottlenet:" */
        keyPrefix: Type.String({ default: 'bottlenet:', pattern: '^[A-Za-z0-9_.:-]*$' }),
        /** First reconnect delay; doubles per attempt up to `reconnectMaxMs`. @default 50 */
        reconnectBaseMs: Type.Integer({ minimum: 1, default: 50 }),
        /** @default 2000 */
        reconnectMaxMs: Type.Integer({ minimum: 1, default: 2000 }),
      },
      { additionalProperties: false },
    ),
    discovery: Type.Object(
      {
        /** Fixed worker addresses. @default [] */
        static: Type.Array(HostPort, { default: [] }),
        /** DNS names re-resolved every `refreshMs`. @default [] */
        dns: Type.Array(DnsTargetSchema, { default: [] }),
        /** Read workers' self-registrations (`<prefix>registry:<id>` keys with a TTL). @default false */
        registry: Type.Boolean({ default: false }),
        /**
         * A registered worker stays a target until its registration has been missing this long (covers a
         * Redis restart, after which workers re-register within a third of their TTL). @default 3000
         */
        registryGraceMs: Type.Integer({ minimum: 0, default: 3000 }),
        /** How often DNS names and the registry are re-read. @default 2000 */
        refreshMs: Type.Integer({ minimum: 10, default: 2000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** GetLoad period per worker. @default 200 */
    pollIntervalMs: Type.Integer({ minimum: 10, default: 200 }),
    /** Deadline of one GetLoad call. @default 500 */
    pollTimeoutMs: Type.Integer({ minimum: 1, default: 500 }),
    /**
     * TTL of every published key. A worker whose last successful poll is older than this leaves the
     * summary, and its hash expires; so a dead worker is gone within one TTL plus a poll interval.
     * @default 1000
     */
    ttlMs: Type.Integer({ minimum: 50, default: 1000 }),
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        /** 0 picks a free port (logged). @default 9464 */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
      },
      { additionalProperties: false, default: {} },
    ),
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
  { additionalProperties: false },
);

export type LoadMonitorConfig = Static<typeof LoadMonitorConfigSchema>;
export type DnsTarget = Static<typeof DnsTargetSchema>;
