import { Code } from './code.js';
import { MeshError } from './mesh-error.js';

/** Platform (Node socket/file) error codes mapped to mesh codes, in one place. */
const platformCodes: Record<string, Code> = {
  ECONNRESET: Code.Aborted,
  EPIPE: Code.Aborted,
  ECONNREFUSED: Code.Unavailable,
  ETIMEDOUT: Code.Unavailable,
  EHOSTUNREACH: Code.Unavailable,
  ENETUNREACH: Code.Unavailable,
  ENOTFOUND: Code.Unavailable,
  EAI_AGAIN: Code.Unavailable,
  ENOENT: Code.NotFound,
  EACCES: Code.PermissionDenied,
};

/** Converts a Node platform error (with a string `code`) into a MeshError; undefined if it is not one. */
export function fromNodeError(reason: unknown): MeshError | undefined {
  if (!(reason instanceof Error)) return undefined;
  const sys = (reason as NodeJS.ErrnoException).code;
  if (typeof sys !== 'string') return undefined;
  const code = platformCodes[sys];
  if (code === undefined) return undefined;
  return new MeshError(code, `${sys}: ${reason.message}`, {
    cause: reason,
    type: sys.toLowerCase(),
  });
}
