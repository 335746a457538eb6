import { Type, type Static } from '@sinclair/typebox';

/** One partition (or "cloud" = cloud-only) of one model version, over every healthy worker serving it. */
export const PartitionSummarySchema = Type.Object({
  model: Type.String(),
  version: Type.String(),
  partitionId: Type.String(),
  /** Expected time from arrival at a worker to the reply at the current load, ms (planner's cloud model). */
  expectedCloudMs: Type.Number({ minimum: 0 }),
  /** Summed over workers. */
  queueDepth: Type.Integer({ minimum: 0 }),
  inFlight: Type.Integer({ minimum: 0 }),
  /** Mean over workers of the EWMA batch session-run time, ms. */
  ewmaServiceMs: Type.Number({ minimum: 0 }),
  /** Healthy workers that serve it. */
  workers: Type.Integer({ minimum: 0 }),
});

/** One worker as last polled. */
export const WorkerSummarySchema = Type.Object({
  id: Type.String(),
  /** host:port the monitor polls and the gateway calls. */
  address: Type.String(),
  /** The worker says it is loaded and warm. */
  ready: Type.Boolean(),
  queueDepth: Type.Integer({ minimum: 0 }),
  inFlight: Type.Integer({ minimum: 0 }),
  capacity: Type.Integer({ minimum: 0 }),
  queueCapacity: Type.Integer({ minimum: 0 }),
  /** When the monitor last polled it successfully, unix ms. */
  polledAtMs: Type.Number(),
  /** Models and partition ids it serves. */
  models: Type.Array(
    Type.Object({
      name: Type.String(),
      version: Type.String(),
      partitionIds: Type.Array(Type.String()),
    }),
  ),
});

/** The cloud-wide summary at `<prefix>cloud` and on the `<prefix>cloud:changed` channel. */
export const CloudSummarySchema = Type.Object({
  schemaVersion: Type.Literal(1),
  monitorId: Type.String(),
  /** When the monitor made it, unix ms. */
  updatedAtMs: Type.Number(),
  /** The keys' TTL; a reader treats a summary older than this as stale. */
  ttlMs: Type.Integer({ minimum: 1 }),
  /**
   * K_cloud >= 1 (1 = idle): the factor by which queueing and sharing stretch a request's cloud time,
   * `max(1, inFlight / capacity) + queueDepth / capacity` over the ready workers.
   */
  loadLevel: Type.Number({ minimum: 0 }),
  /** `(queueDepth + inFlight) / capacity` (0 idle, 1 full, > 1 queueing); the planner's `level`. */
  utilisation: Type.Number({ minimum: 0 }),
  healthyWorkers: Type.Integer({ minimum: 0 }),
  queueDepth: Type.Integer({ minimum: 0 }),
  inFlight: Type.Integer({ minimum: 0 }),
  capacity: Type.Integer({ minimum: 0 }),
  partitions: Type.Array(PartitionSummarySchema),
  /** Every worker polled successfully within ttlMs, ready or not; the gateway routes to the ready ones. */
  workers: Type.Array(WorkerSummarySchema),
});

export type CloudSummary = Static<typeof CloudSummarySchema>;
export type WorkerSummary = Static<typeof WorkerSummarySchema>;
export type PartitionSummary = Static<typeof PartitionSummarySchema>;
