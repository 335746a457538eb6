import { createHash, timingSafeEqual } from 'node:crypto';
import { Code, MeshError } from '@bottlenet/errors';
import type { ApiKeyConfig, Scope } from '../config/schema.js';

/** An authenticated caller. */
export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly ratePerSecond: number;
}

/**
 * Bearer API keys from the config. Keys are looked up by their SHA-256 (so lookup time does not depend
 * on how much of a wrong key matches) and compared in constant time.
 */
export class ApiKeys {
  readonly #byHash = new Map<string, { digest: Buffer; principal: Principal }>();

  constructor(keys: readonly ApiKeyConfig[]) {
    for (const k of keys) {
      const digest = sha256(k.key);
      this.#byHash.set(digest.toString('hex'), { digest, principal: { name: k.name, scopes: new Set(k.scopes), ratePerSecond: k.ratePerSecond } });
    }
  }

  /**
   * The principal of an `Authorization` header that grants `scope`: UNAUTHENTICATED (401) when the
   * header is missing, not a bearer token, or an unknown key; PERMISSION_DENIED (403) when the key lacks
   * the scope.
   */
  authorize(header: string | undefined, scope: Scope): Principal {
    if (header === undefined || header === '') {
      throw new MeshError(Code.Unauthenticated, 'missing Authorization header (expected "Bearer <api key>")', { type: 'missing_credentials' });
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) throw new MeshError(Code.Unauthenticated, 'Authorization header is not "Bearer <api key>"', { type: 'bad_credentials' });
    const digest = sha256(m[1]!);
    const entry = this.#byHash.get(digest.toString('hex'));
    if (entry === undefined || !timingSafeEqual(entry.digest, digest)) {
      throw new MeshError(Code.Unauthenticated, 'unknown API key', { type: 'bad_credentials' });
    }
    if (!entry.principal.scopes.has(scope)) {
      throw new MeshError(Code.PermissionDenied, `API key "${entry.principal.name}" may not use scope "${scope}"`, { type: 'scope_denied' });
    }
    return entry.principal;
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
