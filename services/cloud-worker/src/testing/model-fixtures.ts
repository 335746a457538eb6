import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (services/cloud-worker/src/testing -> ../../../..). */
const ROOT = resolve(new URL('.', import.meta.url).pathname, '../../../..');

/** The small smoke-test model repository shipped in git. */
export const TINY_MODEL_DIR = process.env.WORKER_TEST_MODEL ?? join(ROOT, 'models', 'fmnist-tiny');

/** Copies a repository to a temporary folder, optionally editing its manifest (e.g. a new version). */
export function copyRepository(
  dir: string,
  edit?: (manifest: Record<string, unknown>) => void,
): string {
  const dest = join(mkdtempSync(join(tmpdir(), 'worker-repo-')), 'repo');
  cpSync(dir, dest, { recursive: true });
  if (edit !== undefined) {
    const path = join(dest, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(m);
    writeFileSync(path, JSON.stringify(m, null, 2));
  }
  return dest;
}
