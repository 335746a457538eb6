import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MeshError } from '@bottlenet/errors';
import {
  CODEC_ERROR_TYPES,
  CodecErrorType,
  codecErrorCode,
  decodeFeatureFrame,
  encodeFeatureFrame,
  isCodecError,
  parseFrameHeader,
  type FeatureShape,
} from '../index.js';
import { syntheticFeature } from '../testing/index.js';

const shape: FeatureShape = [1, 28, 28];
const data = syntheticFeature(shape, 1);
const jpeg = encodeFeatureFrame(data, shape, { codec: 'jpeg', quality: 20 });
const raw = encodeFeatureFrame(data, shape, { codec: 'raw', bits: 4 });
const png = encodeFeatureFrame(data, shape, { codec: 'png', bits: 8 });

function rejects(frame: Uint8Array, type: CodecErrorType, pattern: RegExp, options = {}) {
  assert.throws(
    () => decodeFeatureFrame(frame, options),
    (e: unknown) => {
      assert.ok(e instanceof MeshError, 'a MeshError');
      assert.equal(e.type, type, `type of: ${e.message}`);
      assert.equal(e.code, codecErrorCode(type));
      assert.equal(e.nonRetryable, true);
      assert.match(e.rawMessage, pattern);
      return true;
    },
  );
}

function patched(frame: Uint8Array, at: number, ...bytes: number[]): Uint8Array {
  const f = frame.slice();
  f.set(bytes, at);
  return f;
}

function withFloat(frame: Uint8Array, at: number, v: number): Uint8Array {
  const f = frame.slice();
  new DataView(f.buffer).setFloat32(at, v, true);
  return f;
}

test('header fields are where docs/codec.md says', () => {
  const h = parseFrameHeader(jpeg);
  assert.deepEqual([...jpeg.subarray(0, 7)], [0x42, 0x4e, 1, 1, 8, 1, 20]);
  assert.deepEqual(h.shape, [1, 28, 28]);
  assert.equal(h.headerLength, 22);
  assert.equal(h.payloadLength, jpeg.length - 22);
  assert.equal(jpeg[21], h.payloadLength);
  assert.equal(h.min, new DataView(jpeg.buffer, jpeg.byteOffset).getFloat32(13, true));
});

test('truncated frames: before the magic, inside the header, inside the payload', () => {
  rejects(jpeg.subarray(0, 1), CodecErrorType.Truncated, /shorter than its magic/);
  rejects(jpeg.subarray(0, 2), CodecErrorType.Truncated, /version/);
  rejects(jpeg.subarray(0, 15), CodecErrorType.Truncated, /header/);
  rejects(
    jpeg.subarray(0, jpeg.length - 1),
    CodecErrorType.Truncated,
    /declares a \d+-byte payload/,
  );
  rejects(new Uint8Array(0), CodecErrorType.Truncated, /0 bytes/);
});

test('oversized frames and shapes', () => {
  rejects(jpeg, CodecErrorType.Oversized, /above the limit of 50/, { maxFrameBytes: 50 });
  rejects(jpeg, CodecErrorType.Oversized, /above the limit of 100 values/, { maxElements: 100 });
});

test('bad magic, unsupported version, unknown codec', () => {
  rejects(patched(jpeg, 0, 0x89, 0x50), CodecErrorType.BadMagic, /0x8950/);
  rejects(patched(jpeg, 2, 2), CodecErrorType.UnsupportedVersion, /version 2/);
  rejects(patched(jpeg, 3, 0), CodecErrorType.UnknownCodec, /codec id 0/);
  rejects(patched(jpeg, 3, 77), CodecErrorType.UnknownCodec, /codec id 77/);
});

test('bad header fields: bits, flags, quality, zero dimension, tile too large, varint', () => {
  rejects(patched(jpeg, 4, 0), CodecErrorType.BadHeader, /bits 0/);
  rejects(patched(jpeg, 4, 9), CodecErrorType.BadHeader, /bits 9/);
  rejects(patched(jpeg, 5, 0x81), CodecErrorType.BadHeader, /flags 0x81/);
  rejects(patched(raw, 5, 1), CodecErrorType.BadHeader, /no tables-omitted mode/);
  rejects(patched(jpeg, 6, 0), CodecErrorType.BadHeader, /quality 0/);
  rejects(patched(jpeg, 6, 101), CodecErrorType.BadHeader, /quality 101/);
  rejects(patched(raw, 6, 20), CodecErrorType.BadHeader, /must be 0/);
  rejects(patched(jpeg, 9, 0, 0), CodecErrorType.BadHeader, /zero dimension/);
  rejects(
    patched(jpeg, 7, 0xff, 0xff, 1, 0, 0, 1),
    CodecErrorType.BadHeader,
    /tiles into 65536x256/,
  );
  // 0x80 0x00 encodes 0 in two bytes: not the shortest form.
  const long = new Uint8Array(23);
  long.set(jpeg.subarray(0, 21));
  long.set([0x80, 0x00], 21);
  rejects(long, CodecErrorType.BadHeader, /shortest form/);
  const five = new Uint8Array(30);
  five.set(jpeg.subarray(0, 21));
  five.set([0xff, 0xff, 0xff, 0xff, 0x01], 21);
  rejects(five, CodecErrorType.BadHeader, /longer than 4 bytes/);
});

test('shape mismatch against the expected shape', () => {
  rejects(jpeg, CodecErrorType.ShapeMismatch, /1x28x28 does not match the expected 2x28x28/, {
    expectedShape: [2, 28, 28],
  });
});

test('payload mismatch: trailing bytes, raw size that does not fit the shape', () => {
  const trailing = new Uint8Array(jpeg.length + 3);
  trailing.set(jpeg);
  rejects(trailing, CodecErrorType.PayloadMismatch, /3 bytes after/);
  // Claim a 1x28x27 shape: the raw payload no longer fits.
  rejects(patched(raw, 11, 27, 0), CodecErrorType.PayloadMismatch, /must be 378 bytes, got 392/);
});

test('NaN or infinite min/max, and min above max', () => {
  rejects(withFloat(jpeg, 13, NaN), CodecErrorType.BadRange, /not finite/);
  rejects(withFloat(jpeg, 17, Infinity), CodecErrorType.BadRange, /not finite/);
  rejects(withFloat(jpeg, 13, -Infinity), CodecErrorType.BadRange, /not finite/);
  rejects(withFloat(jpeg, 13, 1e9), CodecErrorType.BadRange, /above max/);
});

test('corrupt payloads: jpeg scan garbage, png CRC, raw padding bits', () => {
  const garbage = jpeg.slice();
  garbage.fill(0xff, parseFrameHeader(jpeg).payloadOffset);
  rejects(garbage, CodecErrorType.CorruptPayload, /jpeg decode failed/);
  const full = encodeFeatureFrame(data, shape, { codec: 'jpeg', omitTables: false });
  rejects(
    patched(full, parseFrameHeader(full).payloadOffset, 0x00),
    CodecErrorType.CorruptPayload,
    /jpeg/,
  );
  const badPng = png.slice();
  badPng[40] = badPng[40]! ^ 0xff;
  rejects(badPng, CodecErrorType.CorruptPayload, /png/);
  const odd = encodeFeatureFrame(syntheticFeature([1, 1, 3], 1), [1, 1, 3], {
    codec: 'raw',
    bits: 3,
  });
  rejects(
    patched(odd, odd.length - 1, odd[odd.length - 1]! | 1),
    CodecErrorType.CorruptPayload,
    /padding/,
  );
});

test('a full JPEG of the wrong size is rejected as a corrupt payload, not decoded', () => {
  const other = encodeFeatureFrame(syntheticFeature([1, 14, 14], 1), [1, 14, 14], {
    codec: 'jpeg',
    omitTables: false,
  });
  const h = parseFrameHeader(other);
  const lie = patched(other, 9, 28, 0, 28, 0);
  assert.equal(parseFrameHeader(lie).payloadLength, h.payloadLength);
  rejects(lie, CodecErrorType.CorruptPayload, /14x14, expected 28x28/);
});

test('the error type set is closed, each type has one code, and each is documented', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../../../docs/codec.md', import.meta.url), 'utf8');
  assert.equal(new Set(CODEC_ERROR_TYPES).size, CODEC_ERROR_TYPES.length);
  for (const t of CODEC_ERROR_TYPES) {
    assert.ok(Object.values(Code).includes(codecErrorCode(t)));
    assert.ok(doc.includes(`\`${t}\``), `docs/codec.md documents ${t}`);
  }
  assert.ok(!isCodecError(new Error('x')));
  assert.ok(
    isCodecError(
      new Error('outer', {
        cause: new MeshError(Code.InvalidArgument, 'x', { type: 'frame_truncated' }),
      }),
    ),
  );
});
