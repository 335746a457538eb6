import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Code, MeshError } from '@bottlenet/errors';
import { MANIFEST_FILE, loadModelRepository } from './model-repository.js';
import type { LoadModelRepositoryOptions, ModelRepository } from './model-repository.js';

/** The sub-folders of `root` (e.g. `models/`) that hold a manifest.json, sorted. NOT_FOUND if `root` is not a folder. */
export async function findModelRepositories(root: string): Promise<string[]> {
  const abs = resolve(root);
  let names: string[];
  try {
    names = await readdir(abs);
  } catch (e) {
    throw new MeshError(
      Code.NotFound,
      `cannot list model repositories in ${abs} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      {
        type: 'repository_root_missing',
        cause: e,
      },
    );
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    try {
      if ((await stat(join(abs, name, MANIFEST_FILE))).isFile()) out.push(join(abs, name));
    } catch {
      // not a repository
    }
  }
  return out;
}

/** Loads every repository under `root`; the first bad one throws (see loadModelRepository). */
export async function loadModelRepositories(
  root: string,
  options?: LoadModelRepositoryOptions,
): Promise<ModelRepository[]> {
  const dirs = await findModelRepositories(root);
  const out: ModelRepository[] = [];
  for (const d of dirs) out.push(await loadModelRepository(d, options));
  return out;
}
