import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Code, MeshError } from '@bottlenet/errors';
import {
  MANIFEST_FILE,
  loadModelRepositories,
  loadModelRepository,
  type Manifest,
} from '@bottlenet/model-repo';

/**
 * The model repositories the gateway knows (manifests only: it runs no model, so checksums and ONNX
 * files are the workers' business). Versions of a name are ordered numerically when both are numbers,
 * else as strings; "" asks for the newest.
 */
export class Catalogue {
  readonly #byName = new Map<string, Manifest[]>();

  constructor(manifests: readonly Manifest[]) {
    for (const m of manifests) {
      const list = this.#byName.get(m.name) ?? [];
      if (list.some((x) => x.version === m.version)) {
        throw new MeshError(
          Code.AlreadyExists,
          `model ${m.name} version ${m.version} appears in two repositories`,
          { type: 'duplicate_model' },
        );
      }
      list.push(m);
      list.sort((a, b) => compareVersions(b.version, a.version));
      this.#byName.set(m.name, list);
    }
  }

  /** Loads every repository in `dirs` (each a repository itself or a folder of repositories). */
  static async load(dirs: readonly string[]): Promise<Catalogue> {
    const manifests: Manifest[] = [];
    for (const dir of dirs) {
      const repos = existsSync(join(dir, MANIFEST_FILE))
        ? [await loadModelRepository(dir, { verifyChecksums: false })]
        : await loadModelRepositories(dir, { verifyChecksums: false });
      manifests.push(...repos.map((r) => r.manifest));
    }
    return new Catalogue(manifests);
  }

  /** Newest first, per name. */
  all(): Manifest[] {
    return [...this.#byName.values()].flat();
  }

  get empty(): boolean {
    return this.#byName.size === 0;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The manifest of `name` at `version` ("" = newest); NOT_FOUND naming what is missing. */
  find(name: string, version: string): Manifest {
    const list = this.#byName.get(name);
    if (list === undefined || list.length === 0) {
      throw new MeshError(Code.NotFound, `unknown model "${name}"`, { type: 'model_unknown' });
    }
    if (version === '') return list[0]!;
    const m = list.find((x) => x.version === version);
    if (m === undefined) {
      throw new MeshError(
        Code.NotFound,
        `model "${name}" has no version "${version}" (known: ${list.map((x) => x.version).join(', ')})`,
        {
          type: 'version_unknown',
        },
      );
    }
    return m;
  }
}

function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
