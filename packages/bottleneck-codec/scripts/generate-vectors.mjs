#!/usr/bin/env node
// Regenerates vectors/*.json (the shared quantizer/tiling/JPEG/frame vectors read by the TypeScript
// and Python test suites). Run from anywhere:
//   node --conditions=source --import tsx packages/bottleneck-codec/scripts/generate-vectors.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VECTOR_SHAPES, vectorFile, vectorFileName } from '../src/testing/index.ts';

const dir = new URL('../vectors/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
for (const shape of VECTOR_SHAPES) {
  writeFileSync(
    join(dir, vectorFileName(shape)),
    JSON.stringify(vectorFile(shape), null, 1) + '\n',
  );
}
