#!/usr/bin/env node
// Builds the libturbojpeg N-API addon (native/ -> native/build/Release/bottleneck_codec.node) with
// node-gyp against this machine's Node headers (node-gyp cannot download them here). Skips the build
// when the addon is newer than its sources, so `pnpm run build` stays cheap on a warm checkout.
// Usage: node scripts/build-native.mjs [--force]
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const pkg = new URL('..', import.meta.url).pathname;
const nativeDir = join(pkg, 'native');
const addon = join(nativeDir, 'build', 'Release', 'bottleneck_codec.node');
const sources = [
  'jpeg.c',
  'jpeg-scan.c',
  'jpeg-scan.h',
  'normalize.c',
  'normalize.h',
  'binding.gyp',
].map((f) => join(nativeDir, f));

const force = process.argv.includes('--force');
if (!force && existsSync(addon)) {
  const built = statSync(addon).mtimeMs;
  if (sources.every((s) => statSync(s).mtimeMs <= built)) process.exit(0);
}

const env = { ...process.env };
if (!env.npm_config_nodedir) {
  // Debian's nodejs ships headers in /usr/include/node; an official tarball has them in <prefix>/include/node.
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
}
if (!existsSync('/usr/include/turbojpeg.h') && !existsSync('/usr/local/include/turbojpeg.h')) {
  process.stderr.write(
    'build-native: turbojpeg.h not found; install libturbojpeg0-dev (scripts/setup.sh does)\n',
  );
  process.exit(1);
}
if (!existsSync('/usr/include/jpeglib.h') && !existsSync('/usr/local/include/jpeglib.h')) {
  process.stderr.write(
    'build-native: jpeglib.h not found; install libjpeg62-turbo-dev (the libjpeg API of the same libjpeg-turbo)\n',
  );
  process.exit(1);
}
const gyp = createRequire(join(pkg, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
const res = spawnSync(
  process.execPath,
  [gyp, 'rebuild', '--directory', nativeDir, '--loglevel', 'warn'],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  },
);
if (res.status !== 0) {
  process.stderr.write(`build-native: node-gyp failed (exit ${res.status})\n`);
  process.exit(res.status ?? 1);
}
