#!/usr/bin/env node
// Finds every *.test.ts in the workspace and runs them with node's test runner through tsx.
// Node 20's `--test` does not expand globs, so the list is built here.
// Usage: node scripts/run-node-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'services', 'test', 'bench', 'loadtest'];
const skipDirs = new Set(['node_modules', 'dist', '.cache', 'out']);
const filters = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (skipDirs.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
}

const files = [];
for (const r of roots) walk(join(root, r), files);
files.sort();
const selected = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (selected.length === 0) {
  console.error('run-node-tests: no test files matched');
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', '--test-reporter=tap', ...selected],
  { cwd: root, stdio: 'inherit', env: process.env },
);
process.exit(res.status ?? 1);
