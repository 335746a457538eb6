import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecErrorType, isCodecError } from './frame-error.js';
import { FeatureFrameEncoder } from './frame-encoder.js';
import {
  decodeFeatureFrame,
  encodeFeatureFrame,
  type EncodeFeatureOptions,
} from './feature-frame.js';
import { syntheticFeature } from '../testing/index.js';
import type { FeatureShape } from '../tiling.js';

const shapes: FeatureShape[] = [
  [4, 14, 14],
  [4, 7, 7],
  [8, 4, 4],
  [1, 28, 28],
  [5, 3, 7],
  [64, 16, 16], // a payload above 127 bytes: two-byte length varint
];
const optionSets: EncodeFeatureOptions[] = [
  { codec: 'jpeg', quality: 20, bits: 8 },
  { codec: 'jpeg', quality: 90, bits: 4 },
  { codec: 'jpeg', quality: 20, bits: 8, jpegMode: 'full' },
  { codec: 'jpeg', quality: 50, bits: 6, jpegMode: 'compact' },
  { codec: 'jpeg', bits: 1, omitTables: false },
  { codec: 'png', bits: 8 },
  { codec: 'raw', bits: 3 },
];

test('byte-identical to encodeFeatureFrame (codecs, modes, bits, shapes), fresh and written at an offset', () => {
  for (const shape of shapes) {
    for (const options of optionSets) {
      const enc = new FeatureFrameEncoder(shape, options);
      for (const seed of [1, 2]) {
        const data = syntheticFeature(shape, seed);
        const want = encodeFeatureFrame(data, shape, options);
        const label = `${shape.join('x')} ${JSON.stringify(options)}`;
        assert.deepEqual(enc.encode(data), want, label);
        const out = new Uint8Array(want.length + 9).fill(0xee);
        assert.equal(enc.encodeInto(data, out, 7), want.length, label);
        assert.deepEqual(out.subarray(7, 7 + want.length), want, label);
        assert.deepEqual(
          [out[6], out[7 + want.length]],
          [0xee, 0xee],
          `${label}: only the frame is written`,
        );
      }
    }
  }
  // constant and all-zero tensors (min == max)
  const enc = new FeatureFrameEncoder([4, 14, 14], optionSets[0]!);
  for (const v of [0, 2.5]) {
    const data = new Float32Array(784).fill(v);
    assert.deepEqual(enc.encode(data), encodeFeatureFrame(data, [4, 14, 14], optionSets[0]!));
    assert.equal(decodeFeatureFrame(enc.encode(data)).min, v);
  }
});

test('bad options fail at construction, bad data and short outputs per call, with the codec error types', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [
      () => new FeatureFrameEncoder([4, 0, 14], { codec: 'jpeg' }),
      CodecErrorType.BadOptions,
      /outside 1..65535/,
    ],
    [
      () => new FeatureFrameEncoder([4, 14, 14], { codec: 'webp' }),
      CodecErrorType.UnknownCodec,
      /webp/,
    ],
    [
      () => new FeatureFrameEncoder([4, 14, 14], { codec: 'jpeg', quality: 0 }),
      CodecErrorType.BadOptions,
      /quality/,
    ],
    [
      () => new FeatureFrameEncoder([4, 14, 14], { codec: 'jpeg', bits: 9 }),
      CodecErrorType.BadOptions,
      /bits/,
    ],
    [
      () => new FeatureFrameEncoder([4, 14, 14], { codec: 'png', jpegMode: 'compact' }),
      CodecErrorType.BadOptions,
      /JPEG only/,
    ],
  ];
  const enc = new FeatureFrameEncoder([4, 14, 14], { codec: 'jpeg' });
  cases.push(
    [() => enc.encode(new Float32Array(10)), CodecErrorType.BadOptions, /needs 784 values, got 10/],
    [
      () => enc.encode([1, 2] as unknown as Float32Array),
      CodecErrorType.BadOptions,
      /Float32Array/,
    ],
    [
      () => enc.encode(new Float32Array(784).fill(Number.NaN)),
      CodecErrorType.NonFiniteInput,
      /NaN|finite/,
    ],
    [
      () => enc.encodeInto(syntheticFeature([4, 14, 14], 1), new Uint8Array(30), 0),
      CodecErrorType.OutputTooSmall,
      /frame at offset 0 of a 30-byte output/,
    ],
    [
      () => enc.encodeInto(syntheticFeature([4, 14, 14], 1), new Uint8Array(4096), -1),
      CodecErrorType.OutputTooSmall,
      /offset -1/,
    ],
  );
  for (const [f, type, message] of cases) {
    assert.throws(
      f,
      (e: unknown) => isCodecError(e, type as CodecErrorType) && message.test((e as Error).message),
    );
  }
});
