import { Code, MeshError } from '@bottlenet/errors';
import type { ApiKeyConfig, Scope } from '../config/schema.js';

/** An authenticated caller. */
export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly ratePerSecond: number;
}

/**
 * Bearer API keys from the config, looked up in a hash map (the lookup hashes the whole token, so its
 * time does not reveal how much of a wrong key matched; no per-request digest on the hot path).
 */
export class ApiKeys {
  readonly #byKey = new Map<string, Principal>();

  constructor(keys: readonly ApiKeyConfig[]) {
    for (const k of keys)
      this.#byKey.set(k.key, {
        name: k.name,
        scopes: new Set(k.scopes),
        ratePerSecond: k.ratePerSecond,
      });
  }

  /**
   * The principal of an `Authorization` header that grants `scope`: UNAUTHENTICATED (401) when the
   * header is missing, not a bearer token, or an unknown key; PERMISSION_DENIED (403) when the key lacks
   * the scope.
   */
  authorize(header: string | undefined, scope: Scope): Principal {
    if (header === undefined || header === '') {
      throw new MeshError(
        Code.Unauthenticated,
        'missing Authorization header (expected "Bearer <api key>")',
        { type: 'missing_credentials' },
      );
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null)
      throw new MeshError(Code.Unauthenticated, 'Authorization header is not "Bearer <api key>"', {
        type: 'bad_credentials',
      });
    const principal = this.#byKey.get(m[1]!);
    if (principal === undefined)
      throw new MeshError(Code.Unauthenticated, 'unknown API key', { type: 'bad_credentials' });
    if (!principal.scopes.has(scope)) {
      throw new MeshError(
        Code.PermissionDenied,
        `API key "${principal.name}" may not use scope "${scope}"`,
        { type: 'scope_denied' },
      );
    }
    return principal;
  }
}
