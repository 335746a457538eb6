import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Code, MeshError, codeToString, httpStatusOf } from '@bottlenet/errors';
import type { ErrorBodyT } from './schemas.js';

/** The HTTP status and JSON body for anything a route threw. */
export function errorResponse(err: unknown): {
  status: number;
  body: ErrorBodyT;
  retryAfterMs?: number;
} {
  if (err instanceof MeshError) {
    const retry = err.details.retryAfterMs;
    return {
      status: httpStatusOf(err.code),
      body: {
        code: codeToString(err.code),
        message: err.rawMessage,
        ...(err.type === undefined ? {} : { type: err.type }),
      },
      ...(typeof retry === 'number' ? { retryAfterMs: retry } : {}),
    };
  }
  const fe = err as Partial<FastifyError> & { message?: string };
  if (fe.validation !== undefined) {
    return {
      status: 400,
      body: {
        code: codeToString(Code.InvalidArgument),
        message: fe.message ?? 'invalid request',
        type: 'validation',
      },
    };
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: {
          code: codeToString(Code.ResourceExhausted),
          message: 'request body is larger than the limit',
          type: 'body_too_large',
        },
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: {
          code: codeToString(Code.InvalidArgument),
          message: fe.message ?? 'unsupported media type',
          type: 'unsupported_media_type',
        },
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {
        status: 400,
        body: {
          code: codeToString(Code.InvalidArgument),
          message: 'body is not valid JSON',
          type: 'bad_json',
        },
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: {
          code: codeToString(Code.InvalidArgument),
          message: 'body is empty',
          type: 'bad_json',
        },
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        body: {
          code: codeToString(Code.InvalidArgument),
          message: fe.message ?? 'bad content-length',
          type: 'bad_request',
        },
      };
    default:
      break;
  }
  if (fe.statusCode === 400 && err instanceof SyntaxError) {
    return {
      status: 400,
      body: {
        code: codeToString(Code.InvalidArgument),
        message: `body is not valid JSON: ${err.message}`,
        type: 'bad_json',
      },
    };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: {
        code: codeToString(Code.InvalidArgument),
        message: fe.message ?? 'bad request',
        type: 'bad_request',
      },
    };
  }
  return {
    status: 500,
    body: { code: codeToString(Code.Internal), message: 'internal error', type: 'internal' },
  };
}

/** Fastify error handler: logs 5xx with the request id, answers `{code, message, type?}`. */
export function handleError(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const r = errorResponse(err);
  if (r.status >= 500 && r.status !== 503 && r.status !== 504)
    request.log.error({ err }, 'request failed');
  else request.log.debug({ err, status: r.status }, 'request rejected');
  if (r.retryAfterMs !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))));
  if (r.status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(r.status).type('application/json').send(r.body);
}
