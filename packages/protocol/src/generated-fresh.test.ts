// Fails when src/gen is stale: regenerates from proto/ into a temp dir and compares every file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

function listFiles(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, root));
    else out.push(relative(root, p));
  }
  return out;
}

test('committed src/gen matches a fresh protoc + ts-proto run', (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'protocol-gen-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  execFileSync(process.execPath, [join(pkg, 'scripts', 'generate.mjs'), tmp], { stdio: 'pipe' });
  const committed = join(pkg, 'src', 'gen');
  const fresh = listFiles(tmp);
  assert.deepEqual(
    listFiles(committed),
    fresh,
    'the set of generated files differs: run `pnpm --filter @bottlenet/protocol run generate`',
  );
  for (const f of fresh) {
    const want = readFileSync(join(tmp, f), 'utf8');
    const have = readFileSync(join(committed, f), 'utf8');
    assert.ok(
      have === want,
      `src/gen/${f} is stale: run \`pnpm --filter @bottlenet/protocol run generate\` and commit`,
    );
  }
});
