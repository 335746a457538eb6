// @bottlenet/protocol: the wire contracts of the mesh (proto/) and the TypeScript generated from them
// (src/gen, by `pnpm --filter @bottlenet/protocol run generate`; never edit it by hand).

// Data plane: InferenceService (Infer, GetLoad, InferStream).
export {
  InferRequest,
  InferReply,
  ClassScore,
  StageTimings,
  ErrorStatus,
  InferStreamReply,
  InferenceServiceService,
  InferenceServiceClient,
} from './gen/bottlenet/v1/inference.js';
export type { InferenceServiceServer } from './gen/bottlenet/v1/inference.js';

// Worker load: GetLoad's report and the hint carried in every reply.
export {
  GetLoadRequest,
  LoadReport,
  LoadHint,
  PartitionLoad,
  ServedModel,
} from './gen/bottlenet/v1/load.js';

// Control plane (JSON over the gateway's HTTP API): POST /v1/plan, GET /v1/models.
export {
  Objective,
  objectiveFromJSON,
  objectiveToJSON,
  CandidateKind,
  candidateKindFromJSON,
  candidateKindToJSON,
  Uplink,
  MobileProfile,
  MobileState,
  PlanRequest,
  PlanReply,
  CloudView,
  PartitionCloudTime,
  CandidatePrediction,
  PartitionInfo,
  ModelInfo,
  ModelCatalogue,
} from './gen/bottlenet/v1/control.js';

// Standard gRPC health checking (grpc.health.v1).
export {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  healthCheckResponse_ServingStatusFromJSON,
  healthCheckResponse_ServingStatusToJSON,
  HealthService,
  HealthClient,
} from './gen/grpc/health/v1/health.js';
export type { HealthServer } from './gen/grpc/health/v1/health.js';

// Names the contracts use.
export {
  CLOUD_ONLY_ID,
  MOBILE_ONLY_ID,
  DEFAULT_TOP_K,
  INFERENCE_SERVICE_NAME,
  HEALTH_SERVICE_NAME,
  RETRY_AFTER_METADATA_KEY,
  ERROR_TYPE_METADATA_KEY,
} from './constants.js';

// For libraries that handle any generated message generically.
export type { MessageFns, DeepPartial } from './gen/bottlenet/v1/load.js';
