import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VECTOR_SHAPES, vectorFile, vectorFileName } from './testing/index.js';
import { decodeFeatureFrame, dequantize, pixelToLevelTable, untile } from './index.js';

const dir = new URL('../vectors/', import.meta.url);

for (const shape of VECTOR_SHAPES) {
  test(`shared vectors ${shape.join('x')} are reproduced byte for byte`, () => {
    const stored: unknown = JSON.parse(readFileSync(new URL(vectorFileName(shape), dir), 'utf8'));
    // Re-derive through JSON so that the comparison sees exactly what was written.
    const fresh: unknown = JSON.parse(JSON.stringify(vectorFile(shape)));
    assert.deepEqual(
      fresh,
      stored,
      'vectors are stale: run scripts/generate-vectors.ts and commit the result',
    );
  });

  test(`shared vectors ${shape.join('x')}: the frame decodes to the dequantized JPEG pixels`, () => {
    const file = JSON.parse(readFileSync(new URL(vectorFileName(shape), dir), 'utf8')) as {
      cases: {
        bits: number;
        min: number;
        max: number;
        frame: string;
        jpeg: { decodedPixels: string };
      }[];
    };
    for (const c of file.cases) {
      const decoded = decodeFeatureFrame(Buffer.from(c.frame, 'base64'), { expectedShape: shape });
      const pixels = new Uint8Array(Buffer.from(c.jpeg.decodedPixels, 'base64'));
      const levels = untile(pixels, shape, undefined, pixelToLevelTable(c.bits));
      assert.deepEqual(decoded.data, dequantize(levels, c.bits, c.min, c.max));
    }
  });
}
