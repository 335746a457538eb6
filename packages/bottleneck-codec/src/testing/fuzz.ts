import { isCodecError } from '../frame/frame-error.js';
import { decodeFeatureFrame, encodeFeatureFrame } from '../frame/feature-frame.js';
import { decodeJpegImage, encodeJpegImage } from '../jpeg/jpeg-image.js';
import type { FeatureShape } from '../tiling.js';
import { mulberry32, syntheticFeature } from './synthetic-feature.js';

/** Outcome of {@link fuzzDecoders}. */
export interface FuzzReport {
  inputs: number;
  /** Inputs that decoded without error (mutations that stayed valid). */
  accepted: number;
  /** Rejections per error type. */
  byType: Record<string, number>;
  /** The slowest single input, in milliseconds. */
  slowestMs: number;
}

/**
 * Feeds `count` random and mutated frames (and mutated JPEG images) to the decoders. Every input must
 * either decode or throw a codec MeshError; anything else is rethrown with the offending bytes.
 */
export function fuzzDecoders(count: number, seed = 1): FuzzReport {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const shapes: FeatureShape[] = [
    [1, 28, 28],
    [2, 28, 28],
    [5, 14, 14],
    [10, 7, 7],
    [3, 5, 7],
    [1, 1, 1],
  ];
  const seeds: Uint8Array[] = [];
  for (const shape of shapes) {
    const data = syntheticFeature(shape, 3);
    for (const bits of [1, 3, 8]) {
      seeds.push(encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, quality: 1 + int(100) }));
      seeds.push(encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, omitTables: false }));
      seeds.push(encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, jpegMode: 'compact' }));
      seeds.push(encodeFeatureFrame(data, shape, { codec: 'png', bits }));
      seeds.push(encodeFeatureFrame(data, shape, { codec: 'raw', bits }));
    }
  }
  const images = [
    encodeJpegImage(
      Uint8Array.from({ length: 32 * 24 * 3 }, (_, i) => (i * 7) & 0xff),
      32,
      24,
      3,
      90,
    ),
    encodeJpegImage(
      Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 3) & 0xff),
      28,
      28,
      1,
      50,
    ),
    encodeJpegImage(
      Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 5) & 0xff),
      28,
      28,
      1,
      20,
      { compact: true },
    ),
  ];
  const report: FuzzReport = { inputs: 0, accepted: 0, byType: {}, slowestMs: 0 };
  const limits = { maxElements: 1 << 16, maxFrameBytes: 1 << 16 };

  for (let i = 0; i < count; i++) {
    const mode = int(10);
    let input: Uint8Array;
    let image = false;
    if (mode === 0) {
      // Pure noise, half of it behind a valid magic and version.
      input = Uint8Array.from({ length: int(64) }, () => int(256));
      if (rnd() < 0.5 && input.length >= 3) input.set([0x42, 0x4e, 1]);
    } else if (mode === 1) {
      image = true;
      input = mutate(images[int(images.length)]!, int);
    } else {
      input = mutate(seeds[int(seeds.length)]!, int);
    }
    const t0 = performance.now();
    try {
      if (image) decodeJpegImage(input, { channels: rnd() < 0.5 ? 1 : 3, maxPixels: 1 << 16 });
      else
        decodeFeatureFrame(
          input,
          rnd() < 0.3 ? { ...limits, expectedShape: shapes[int(shapes.length)]! } : limits,
        );
      report.accepted++;
    } catch (err) {
      if (!isCodecError(err)) {
        throw new Error(
          `fuzz input ${i} threw an untyped error; input (base64): ${Buffer.from(input).toString('base64')}`,
          {
            cause: err,
          },
        );
      }
      report.byType[err.type!] = (report.byType[err.type!] ?? 0) + 1;
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - t0);
    report.inputs++;
  }
  return report;
}

function mutate(src: Uint8Array, int: (n: number) => number): Uint8Array {
  let out = src.slice();
  const edits = 1 + int(4);
  for (let e = 0; e < edits; e++) {
    const kind = int(6);
    if (out.length === 0) break;
    if (kind === 0) {
      const p = int(out.length);
      out[p] = out[p]! ^ (1 << int(8));
    } else if (kind === 1) {
      out[int(out.length)] = int(256);
    } else if (kind === 2) {
      out = out.subarray(0, int(out.length));
    } else if (kind === 3) {
      const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
      const grown = new Uint8Array(out.length + extra.length);
      grown.set(out);
      grown.set(extra, out.length);
      out = grown;
    } else if (kind === 4) {
      // Header fields to boundary values.
      const p = int(Math.min(out.length, 26));
      out[p] = [0, 1, 0x7f, 0x80, 0xff][int(5)]!;
    } else {
      // Duplicate a run of bytes inside the payload.
      const a = int(out.length);
      const b = Math.min(out.length, a + 1 + int(8));
      const p = int(out.length);
      out.copyWithin(p, a, b);
    }
  }
  return out;
}
