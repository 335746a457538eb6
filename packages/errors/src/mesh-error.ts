import { Code, codeToString } from './code.js';

const brand = Symbol.for('@bottlenet/errors/MeshError');

export interface MeshErrorOptions {
  /** The underlying error, kept for logs and for type guards that walk the chain. */
  cause?: unknown;
  /** A stable machine-readable kind, e.g. `frame_truncated`, carried across the wire. */
  type?: string;
  /** True when retrying the same request cannot succeed (bad input, unknown partition). */
  nonRetryable?: boolean;
  /** Extra metadata, e.g. a retry hint in milliseconds. */
  details?: Record<string, string | number | boolean>;
}

/**
 * The one error class of every mesh boundary. The message is prefixed with the code
 * (`[invalid_argument] frame shape 1x28x28 does not match ...`); `rawMessage` keeps the text alone.
 */
export class MeshError extends Error {
  override readonly name = 'MeshError';
  readonly code: Code;
  readonly rawMessage: string;
  readonly type: string | undefined;
  readonly nonRetryable: boolean;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  override readonly cause: unknown;

  constructor(code: Code, message: string, options: MeshErrorOptions = {}) {
    super(`[${codeToString(code)}] ${message}`);
    this.code = code;
    this.rawMessage = message;
    this.type = options.type;
    this.nonRetryable = options.nonRetryable ?? defaultNonRetryable(code);
    this.details = Object.freeze({ ...(options.details ?? {}) });
    this.cause = options.cause;
    Object.defineProperty(this, brand, { value: true });
  }

  /** `instanceof` that also holds across two installed copies of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }

  /** Normalises anything thrown into a MeshError, keeping the original as `cause`. */
  static from(reason: unknown, fallback: Code = Code.Unknown): MeshError {
    if (reason instanceof MeshError) return reason;
    if (isAbortError(reason))
      return new MeshError(Code.Canceled, 'operation was aborted', { cause: reason });
    if (reason instanceof Error) return new MeshError(fallback, reason.message, { cause: reason });
    return new MeshError(fallback, String(reason), { cause: reason });
  }
}

function isAbortError(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'AbortError';
}

function defaultNonRetryable(code: Code): boolean {
  return (
    code === Code.InvalidArgument ||
    code === Code.NotFound ||
    code === Code.PermissionDenied ||
    code === Code.Unauthenticated ||
    code === Code.Unimplemented ||
    code === Code.OutOfRange ||
    code === Code.FailedPrecondition
  );
}

/** True when `reason` or any error in its `cause` chain is a MeshError with `code`. */
export function hasCode(reason: unknown, code: Code): boolean {
  for (let e: unknown = reason, depth = 0; e !== undefined && e !== null && depth < 16; depth++) {
    if (e instanceof MeshError && e.code === code) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
