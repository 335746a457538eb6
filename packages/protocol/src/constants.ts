/**
 * Values the .proto contracts name in comments; kept here so that every side spells them the same way.
 */

/** Partition id (and planner candidate id) of cloud-only requests: the full network on the JPEG input. */
export const CLOUD_ONLY_ID = 'cloud';

/** Planner candidate id of mobile-only execution (never sent to the cloud). */
export const MOBILE_ONLY_ID = 'mobile';

/** `InferRequest.topK` when the request leaves it 0. */
export const DEFAULT_TOP_K = 5;

/** Fully qualified gRPC service names, as used by grpc.health.v1 `Check({service})`. */
export const INFERENCE_SERVICE_NAME = 'bottlenet.v1.InferenceService';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/** Trailer (gRPC metadata) key carrying a retry hint in milliseconds with RESOURCE_EXHAUSTED/UNAVAILABLE. */
export const RETRY_AFTER_METADATA_KEY = 'retry-after-ms';

/** Trailer key carrying the MeshError `type` (e.g. `frame_truncated`) of a failed call. */
export const ERROR_TYPE_METADATA_KEY = 'bottlenet-error-type';
