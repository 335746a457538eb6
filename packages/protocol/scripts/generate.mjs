#!/usr/bin/env node
// Regenerates the TypeScript under src/gen from proto/ with protoc + ts-proto.
// Usage: node scripts/generate.mjs [outDir]   (default: src/gen; the staleness test passes a temp dir)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(pkg, 'proto');
const outDir = resolve(process.argv[2] ?? join(pkg, 'src', 'gen'));
const plugin = join(pkg, 'node_modules', '.bin', 'protoc-gen-ts_proto');
const protoc = process.env.PROTOC ?? 'protoc';

/** The ts-proto options; changing one changes every generated file, so regenerate and commit. */
export const TS_PROTO_OPTIONS = [
  'outputServices=grpc-js',
  'esModuleInterop=true',
  'importSuffix=.js',
  'useOptionals=messages',
  'env=node',
  'forceLong=number',
  'oneof=unions',
  'useExactTypes=false',
  'outputTypeRegistry=false',
];

function protoFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...protoFiles(p));
    else if (name.endsWith('.proto')) out.push(relative(protoDir, p));
  }
  return out;
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
execFileSync(
  protoc,
  [
    `--plugin=protoc-gen-ts_proto=${plugin}`,
    `--ts_proto_out=${outDir}`,
    `--ts_proto_opt=${TS_PROTO_OPTIONS.join(',')}`,
    `-I${protoDir}`,
    ...protoFiles(protoDir),
  ],
  { stdio: 'inherit' },
);
