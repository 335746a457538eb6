import { Metadata, type ServiceError, type status as GrpcStatus } from '@grpc/grpc-js';
import { Code, MeshError } from '@bottlenet/errors';
import {
  ERROR_TYPE_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
  type ErrorStatus,
} from '@bottlenet/protocol';

/**
 * A MeshError as a gRPC status: the code is the same number, `details` is the message (which names
 * what was wrong), and the trailers carry the error `type` and, for RESOURCE_EXHAUSTED / UNAVAILABLE,
 * `retry-after-ms`.
 */
export function toServiceError(error: MeshError): ServiceError {
  const metadata = new Metadata();
  if (error.type !== undefined) metadata.set(ERROR_TYPE_METADATA_KEY, error.type);
  const retry = retryAfterMs(error);
  if (retry > 0) {
    metadata.set(RETRY_AFTER_METADATA_KEY, String(retry));
    // gRPC's own retry policy honours this trailer.
    metadata.set('grpc-retry-pushback-ms', String(retry));
  }
  return Object.assign(new Error(error.rawMessage), {
    code: error.code as unknown as GrpcStatus,
    details: error.rawMessage,
    metadata,
  });
}

/** The same error as data, for InferStream replies. */
export function toErrorStatus(error: MeshError): ErrorStatus {
  return {
    code: error.code,
    message: error.rawMessage,
    type: error.type ?? '',
    retryAfterMs: retryAfterMs(error),
  };
}

function retryAfterMs(error: MeshError): number {
  const v = error.details['retryAfterMs'];
  return typeof v === 'number' && v > 0 ? Math.ceil(v) : 0;
}

/** Anything thrown inside a handler as a MeshError; unknown failures are INTERNAL. */
export function asMeshError(e: unknown): MeshError {
  return MeshError.from(e, Code.Internal);
}
