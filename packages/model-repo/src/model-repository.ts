import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Code, MeshError } from '@bottlenet/errors';
import { parseManifest } from './parse-manifest.js';
import type { FileRef, Manifest, PartitionSpec } from './manifest-schema.js';
import { sha256File } from './sha256-file.js';

/** Which network of a repository: the full one, or one partition's head or tail. */
export type SessionTarget = 'full' | { readonly partition: string; readonly part: 'head' | 'tail' };

/** A loaded, validated model repository (`<dir>/manifest.json` + its ONNX files). Immutable. */
export interface ModelRepository {
  /** Absolute path of the repository folder. */
  readonly dir: string;
  readonly manifest: Readonly<Manifest>;
  /** Partition ids in manifest order. */
  readonly partitionIds: readonly string[];
  /** The partition with `id`; MeshError NOT_FOUND (`partition_unknown`) when there is none. */
  partition(id: string): Readonly<PartitionSpec>;
  /** The file reference of a target; NOT_FOUND for an unknown partition. */
  fileRef(target: SessionTarget): Readonly<FileRef>;
  /** Absolute path of a target's ONNX file. */
  filePath(target: SessionTarget): string;
}

export interface LoadModelRepositoryOptions {
  /**
   * Verify the SHA-256 of every file against the manifest.
   * @default true
   */
  verifyChecksums?: boolean;
}

export const MANIFEST_FILE = 'manifest.json';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Every file of a manifest with the field path that names it, e.g. `partitions[1].tail`. */
function fileRefs(m: Manifest): Array<[string, FileRef]> {
  const out: Array<[string, FileRef]> = [['full', m.full]];
  m.partitions.forEach((p, i) => {
    out.push([`partitions[${i}].head`, p.head], [`partitions[${i}].tail`, p.tail]);
  });
  return out;
}

function insideDir(dir: string, field: string, file: string): string {
  const abs = resolve(dir, file);
  const rel = relative(dir, abs);
  if (
    isAbsolute(file) ||
    rel === '' ||
    rel.startsWith('..' + sep) ||
    rel === '..' ||
    isAbsolute(rel)
  ) {
    throw new MeshError(
      Code.InvalidArgument,
      `${join(dir, MANIFEST_FILE)}: ${field}.file "${file}" must be a path inside the repository folder`,
      {
        type: 'manifest_invalid',
      },
    );
  }
  return abs;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads `<dir>/manifest.json`, validates it, checks that every file it names exists inside `dir` and
 * (by default) that its SHA-256 matches. Errors (MeshError):
 * - NOT_FOUND `manifest_missing`: no folder or no manifest.json;
 * - INVALID_ARGUMENT `manifest_bad_json` / `manifest_invalid`: the message names the bad field;
 * - NOT_FOUND `model_file_missing`: a file the manifest names is not there;
 * - FAILED_PRECONDITION `checksum_mismatch`: a file's SHA-256 differs from the manifest's.
 */
export async function loadModelRepository(
  dir: string,
  options: LoadModelRepositoryOptions = {},
): Promise<ModelRepository> {
  const root = resolve(dir);
  const manifestPath = join(root, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (e) {
    throw new MeshError(
      Code.NotFound,
      `no model repository at ${root}: cannot read ${MANIFEST_FILE} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      {
        type: 'manifest_missing',
        cause: e,
      },
    );
  }
  const manifest = deepFreeze(parseManifest(text, manifestPath));

  const paths = new Map<string, string>();
  for (const [field, ref] of fileRefs(manifest)) {
    const abs = insideDir(root, field, ref.file);
    if (!(await isFile(abs))) {
      throw new MeshError(
        Code.NotFound,
        `${manifestPath}: ${field}.file "${ref.file}" does not exist`,
        { type: 'model_file_missing' },
      );
    }
    if (options.verifyChecksums ?? true) {
      const actual = await sha256File(abs);
      if (actual !== ref.sha256) {
        throw new MeshError(
          Code.FailedPrecondition,
          `${manifestPath}: ${field}.file "${ref.file}" has sha256 ${actual}, the manifest says ${ref.sha256}`,
          { type: 'checksum_mismatch' },
        );
      }
    }
    paths.set(ref.file, abs);
  }

  const byId = new Map(manifest.partitions.map((p) => [p.id, p]));
  const partition = (id: string): PartitionSpec => {
    const p = byId.get(id);
    if (p === undefined) {
      throw new MeshError(
        Code.NotFound,
        `model ${manifest.name} version ${manifest.version} has no partition "${id}" (it has ${[...byId.keys()].join(', ') || 'none'})`,
        {
          type: 'partition_unknown',
        },
      );
    }
    return p;
  };
  const fileRef = (target: SessionTarget): FileRef =>
    target === 'full' ? manifest.full : partition(target.partition)[target.part];
  const repo: ModelRepository = {
    dir: root,
    manifest,
    partitionIds: Object.freeze(manifest.partitions.map((p) => p.id)),
    partition,
    fileRef,
    filePath: (target) => paths.get(fileRef(target).file) ?? resolve(root, fileRef(target).file),
  };
  return Object.freeze(repo);
}
