#!/usr/bin/env node
// `pnpm demo`: the one-command BottleNet mesh demo (implementation in bench/e2e/demo.ts, which resolves the
// workspace packages; services run from their built dist/ when present). Options: see that file's header.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', 'bench/e2e/demo.ts', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
