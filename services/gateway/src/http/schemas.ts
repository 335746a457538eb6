import { Type, type Static } from '@sinclair/typebox';

// Route schemas. They follow the proto3 JSON mapping of packages/protocol/proto/bottlenet/v1/control.proto
// (lowerCamelCase keys, enums by name); every object rejects unknown fields so that a typo is a 400.

export const ErrorBody = Type.Object(
  {
    /** The MeshError code as snake_case (`invalid_argument`, `unavailable`, ...). */
    code: Type.String(),
    /** What was wrong; names the field for validation errors. */
    message: Type.String(),
    /** A stable machine-readable kind (`validation`, `rate_limited`, `no_worker`, `queue_full`, ...). */
    type: Type.Optional(Type.String()),
  },
  { $id: 'ErrorBody', additionalProperties: false },
);
export type ErrorBodyT = Static<typeof ErrorBody>;

const Objective = Type.Union([Type.Literal('OBJECTIVE_LATENCY'), Type.Literal('OBJECTIVE_ENERGY')]);
const CandidateKind = Type.Union([
  Type.Literal('CANDIDATE_KIND_CLOUD_ONLY'),
  Type.Literal('CANDIDATE_KIND_SPLIT'),
  Type.Literal('CANDIDATE_KIND_MOBILE_ONLY'),
]);

export const PlanRequestBody = Type.Object(
  {
    agentId: Type.Optional(Type.String({ maxLength: 128 })),
    model: Type.String({ minLength: 1, maxLength: 128 }),
    /** "" or absent: the newest version. */
    version: Type.Optional(Type.String({ maxLength: 64 })),
    uplink: Type.Object(
      {
        bandwidthMbps: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
        rttMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
        network: Type.Union([
          Type.Literal('3g'),
          Type.Literal('4g'),
          Type.Literal('wifi'),
          Type.Literal('custom'),
        ]),
        alphaMwPerMbps: Type.Optional(Type.Number({ minimum: 0 })),
        betaMw: Type.Optional(Type.Number({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
    mobile: Type.Optional(
      Type.Object(
        {
          load: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          profiles: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  candidateId: Type.String({ minLength: 1, maxLength: 64 }),
                  mobileMs: Type.Number({ minimum: 0 }),
                  powerMw: Type.Number({ minimum: 0 }),
                },
                { additionalProperties: false },
              ),
              { maxItems: 64 },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    objective: Type.Optional(Objective),
    currentCandidateId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { $id: 'PlanRequest', additionalProperties: false },
);
export type PlanRequestBodyT = Static<typeof PlanRequestBody>;

export const PartitionCloudTimeBody = Type.Object({
  partitionId: Type.String(),
  expectedCloudMs: Type.Number(),
  queueDepth: Type.Integer(),
  ewmaServiceMs: Type.Number(),
});

export const CloudViewBody = Type.Object(
  {
    loadLevel: Type.Number(),
    partitions: Type.Array(PartitionCloudTimeBody),
    stale: Type.Boolean(),
    healthyWorkers: Type.Integer(),
    updatedAtMs: Type.Number(),
  },
  { $id: 'CloudView' },
);
export type CloudViewBodyT = Static<typeof CloudViewBody>;

export const CandidatePredictionBody = Type.Object(
  {
    candidateId: Type.String(),
    kind: CandidateKind,
    latencyMs: Type.Number(),
    energyMj: Type.Number(),
    mobileMs: Type.Number(),
    uploadMs: Type.Number(),
    cloudMs: Type.Number(),
    uploadBytes: Type.Number(),
    accuracy: Type.Number(),
  },
  { $id: 'CandidatePrediction' },
);
export type CandidatePredictionBodyT = Static<typeof CandidatePredictionBody>;

export const PlanReplyBody = Type.Object(
  {
    model: Type.String(),
    version: Type.String(),
    objective: Objective,
    cloud: Type.Ref(CloudViewBody),
    chosen: Type.Ref(CandidatePredictionBody),
    runnerUp: Type.Optional(Type.Ref(CandidatePredictionBody)),
    candidates: Type.Array(Type.Ref(CandidatePredictionBody)),
    switch: Type.Boolean(),
    generatedAtMs: Type.Number(),
  },
  { $id: 'PlanReply' },
);
export type PlanReplyBodyT = Static<typeof PlanReplyBody>;

export const ModelCatalogueBody = Type.Object(
  {
    models: Type.Array(
      Type.Object({
        name: Type.String(),
        version: Type.String(),
        inputShape: Type.Array(Type.Integer()),
        numClasses: Type.Integer(),
        baselineAccuracy: Type.Number(),
        partitions: Type.Array(
          Type.Object({
            id: Type.String(),
            block: Type.Integer(),
            channels: Type.Integer(),
            spatialFactor: Type.Integer(),
            featureShape: Type.Array(Type.Integer()),
            accuracy: Type.Number(),
            meanBytes: Type.Number(),
            /** JPEG quality of this partition's features (its own codec, else the model's). */
            quality: Type.Integer(),
          }),
        ),
        cloudOnly: Type.Boolean(),
        /** The manifest's free-form measured profiles, as written by training. */
        profiles: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
    ),
  },
  { $id: 'ModelCatalogue' },
);
export type ModelCatalogueBodyT = Static<typeof ModelCatalogueBody>;

export const ModelsQuery = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  { additionalProperties: false },
);

export const InferHeaders = Type.Object({
  'content-type': Type.String({ description: 'application/x-protobuf' }),
  accept: Type.Optional(
    Type.String({ description: 'application/x-protobuf (default) or application/json' }),
  ),
  'x-request-id': Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' })),
});

export const ReadyBody = Type.Object({
  ready: Type.Boolean(),
  draining: Type.Boolean(),
  stale: Type.Boolean(),
  redis: Type.String(),
  workers: Type.Integer(),
  viewAgeSeconds: Type.Number(),
});
