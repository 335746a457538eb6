import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  codecByName,
  codecNames,
  decodeFeatureFrame,
  decodeFeatureFrameInto,
  dequantize,
  encodeFeatureFrame,
  isCodecError,
  CodecErrorType,
  quantize,
  registerCodec,
  type FeatureShape,
} from '../index.js';
import { syntheticFeature } from '../testing/index.js';

const SHAPES: FeatureShape[] = [
  [1, 28, 28],
  [2, 28, 28],
  [5, 14, 14],
  [10, 7, 7],
  [3, 5, 7],
];

test('built-in codecs are registered with stable ids', () => {
  assert.deepEqual(codecNames().slice(0, 3), ['jpeg', 'png', 'raw']);
  assert.equal(codecByName('jpeg').id, 1);
  assert.equal(codecByName('png').id, 2);
  assert.equal(codecByName('raw').id, 3);
  assert.throws(
    () => codecByName('webp'),
    (e) => isCodecError(e, CodecErrorType.UnknownCodec),
  );
  assert.throws(
    () => registerCodec({ ...codecByName('raw'), name: 'raw2' }),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
});

test('lossless codecs (png, raw) round-trip exactly to the dequantized values for every n and shape', () => {
  for (const shape of SHAPES) {
    const data = syntheticFeature(shape, 11);
    for (let bits = 1; bits <= 8; bits++) {
      const { q, min, max } = quantize(data, bits);
      const expected = dequantize(q, bits, min, max);
      for (const codec of ['png', 'raw']) {
        const frame = encodeFeatureFrame(data, shape, { codec, bits });
        const out = decodeFeatureFrame(frame, { expectedShape: shape });
        assert.deepEqual(out.data, expected, `${codec} ${shape.join('x')} bits ${bits}`);
        assert.equal(out.codec, codec);
        assert.equal(out.bits, bits);
        assert.equal(out.quality, 0);
        assert.equal(out.tablesOmitted, false);
        assert.deepEqual(out.shape, shape);
      }
    }
  }
});

test('raw payload is bit-packed: ceil(c*h*w*bits/8) bytes', () => {
  const shape: FeatureShape = [3, 5, 7];
  const data = syntheticFeature(shape, 3);
  for (let bits = 1; bits <= 8; bits++) {
    const frame = encodeFeatureFrame(data, shape, { codec: 'raw', bits });
    const payload = Math.ceil((105 * bits) / 8);
    assert.equal(frame.length, 21 + (payload < 128 ? 1 : 2) + payload);
  }
});

test('jpeg round-trips for every n and shape, abbreviated and full decode to the same values', () => {
  for (const shape of SHAPES) {
    const data = syntheticFeature(shape, 5);
    for (let bits = 1; bits <= 8; bits++) {
      const short = encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, quality: 20 });
      const full = encodeFeatureFrame(data, shape, {
        codec: 'jpeg',
        bits,
        quality: 20,
        omitTables: false,
      });
      assert.ok(full.length > short.length + 250, 'the tables cost ~300 bytes');
      const a = decodeFeatureFrame(short, { expectedShape: shape });
      const b = decodeFeatureFrame(full);
      assert.deepEqual(a.data, b.data, `${shape.join('x')} bits ${bits}`);
      assert.equal(a.tablesOmitted, true);
      assert.equal(b.tablesOmitted, false);
      assert.equal(a.quality, 20);
    }
  }
});

test('jpeg error is bounded as a function of quality and shrinks as quality rises', () => {
  // Normalised RMSE (RMSE / (max - min)) bounds, measured with margin on smooth ReLU features.
  const bounds: [number, number][] = [
    [1, 0.25],
    [10, 0.15],
    [20, 0.12],
    [50, 0.08],
    [75, 0.06],
    [90, 0.035],
    [100, 0.005],
  ];
  for (const shape of SHAPES) {
    const mean: number[] = [];
    for (const [quality, bound] of bounds) {
      let sum = 0;
      let count = 0;
      for (const seed of [1, 2, 4, 5]) {
        const data = syntheticFeature(shape, seed);
        const out = decodeFeatureFrame(
          encodeFeatureFrame(data, shape, { codec: 'jpeg', quality, bits: 8 }),
        );
        let se = 0;
        let max = -Infinity;
        let min = Infinity;
        for (let i = 0; i < data.length; i++) {
          se += (out.data[i]! - data[i]!) ** 2;
          max = Math.max(max, data[i]!);
          min = Math.min(min, data[i]!);
        }
        if (max === min) continue;
        const nrmse = Math.sqrt(se / data.length) / (max - min);
        assert.ok(
          nrmse <= bound,
          `${shape.join('x')} q${quality} seed ${seed}: ${nrmse.toFixed(4)} > ${bound}`,
        );
        sum += nrmse;
        count++;
      }
      mean.push(sum / count);
    }
    for (let i = 1; i < mean.length; i++)
      assert.ok(mean[i]! < mean[i - 1]!, `${shape.join('x')}: error falls with quality`);
  }
});

test('decodeFeatureFrameInto writes one sample of a batch at its offset and nothing else', () => {
  const shape: FeatureShape = [2, 28, 28];
  const n = 2 * 28 * 28;
  const batch = new Float32Array(3 * n).fill(-7);
  const data = syntheticFeature(shape, 9);
  const frame = encodeFeatureFrame(data, shape, { codec: 'jpeg', quality: 90 });
  const info = decodeFeatureFrameInto(frame, batch, n, shape);
  assert.equal(info.codec, 'jpeg');
  assert.deepEqual(batch.subarray(n, 2 * n), decodeFeatureFrame(frame).data);
  assert.ok(batch.subarray(0, n).every((v) => v === -7));
  assert.ok(batch.subarray(2 * n).every((v) => v === -7));
  assert.throws(
    () => decodeFeatureFrameInto(frame, batch, 2 * n + 1, shape),
    (e) => isCodecError(e, CodecErrorType.OutputTooSmall),
  );
  assert.throws(
    () => decodeFeatureFrameInto(frame, batch, 0, [1, 28, 28]),
    (e) => isCodecError(e, CodecErrorType.ShapeMismatch),
  );
});

test('a constant tensor round-trips through every codec', () => {
  const shape: FeatureShape = [5, 14, 14];
  const data = new Float32Array(5 * 14 * 14).fill(-2.5);
  for (const codec of ['jpeg', 'png', 'raw']) {
    const out = decodeFeatureFrame(encodeFeatureFrame(data, shape, { codec, bits: 3 }));
    assert.ok(
      out.data.every((v) => v === -2.5),
      codec,
    );
  }
});

test('bad encoder options are typed errors', () => {
  const shape: FeatureShape = [1, 4, 4];
  const data = new Float32Array(16);
  const bad = (
    options: Parameters<typeof encodeFeatureFrame>[2],
    type: CodecErrorType,
    d = data,
    s = shape,
  ) =>
    assert.throws(
      () => encodeFeatureFrame(d, s, options),
      (e) => isCodecError(e, type),
      JSON.stringify(options),
    );
  bad({ codec: 'gif' }, CodecErrorType.UnknownCodec);
  bad({ codec: 'jpeg', quality: 0 }, CodecErrorType.BadOptions);
  bad({ codec: 'jpeg', quality: 101 }, CodecErrorType.BadOptions);
  bad({ codec: 'jpeg', quality: 20.5 }, CodecErrorType.BadOptions);
  bad({ codec: 'raw', bits: 0 }, CodecErrorType.BadOptions);
  bad({ codec: 'raw' }, CodecErrorType.BadOptions, new Float32Array(15));
  bad({ codec: 'raw' }, CodecErrorType.BadOptions, data, [1, 4, 4, 1] as never);
  bad(
    { codec: 'raw' },
    CodecErrorType.NonFiniteInput,
    Float32Array.from({ length: 16 }, (_, i) => (i === 3 ? NaN : i)),
  );
  bad(
    { codec: 'jpeg' },
    CodecErrorType.NonFiniteInput,
    Float32Array.from({ length: 16 }, (_, i) => (i === 3 ? Infinity : i)),
  );
  bad(
    { codec: 'png' },
    CodecErrorType.NonFiniteInput,
    Float32Array.from({ length: 16 }, (_, i) => (i === 0 ? NaN : i)),
  );
  bad({ codec: 'jpeg' }, CodecErrorType.BadOptions, new Float32Array(65536 * 2), [2, 1, 65536]);
  assert.throws(
    () => encodeFeatureFrame([1, 2] as unknown as Float32Array, [1, 1, 2], { codec: 'raw' }),
    (e) => isCodecError(e, CodecErrorType.BadOptions),
  );
});
