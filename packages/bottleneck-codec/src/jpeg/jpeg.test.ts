import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  abbreviatedHeader,
  CodecErrorType,
  decodeJpegImage,
  encodeJpegImage,
  isCodecError,
  luminanceQuantTable,
  scanBounds,
} from '../index.js';
import { mulberry32 } from '../testing/index.js';

function segment(jpeg: Uint8Array, marker: number): Uint8Array | undefined {
  let pos = 2;
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff) {
    const len = (jpeg[pos + 2]! << 8) | jpeg[pos + 3]!;
    if (jpeg[pos + 1] === marker) return jpeg.subarray(pos + 4, pos + 2 + len);
    if (jpeg[pos + 1] === 0xda) return undefined;
    pos += 2 + len;
  }
  return undefined;
}

function image(width: number, height: number, channels: number, seed: number): Uint8Array {
  const rnd = mulberry32(seed);
  return Uint8Array.from({ length: width * height * channels }, (_, i) =>
    Math.floor(128 + 100 * Math.sin(i / 17) * rnd()),
  );
}

test('the rebuilt quantisation table equals libjpeg-turbo`s for every quality', () => {
  const pixels = image(16, 8, 1, 1);
  for (let q = 1; q <= 100; q++) {
    const jpeg = encodeJpegImage(pixels, 16, 8, 1, q);
    const dqt = segment(jpeg, 0xdb)!;
    assert.equal(dqt[0], 0, 'table 0, 8-bit');
    assert.deepEqual(dqt.subarray(1, 65), luminanceQuantTable(q), `quality ${q}`);
  }
});

test('header rebuilt from quality and size + the scan decodes exactly like the complete JPEG', () => {
  for (const [w, h] of [
    [28, 28],
    [56, 28],
    [14, 10],
    [1, 1],
    [33, 17],
  ] as const) {
    for (const q of [1, 20, 75, 100]) {
      const pixels = image(w, h, 1, w * h + q);
      const full = encodeJpegImage(pixels, w, h, 1, q);
      const scan = scanBounds(full, full.length)!;
      const header = abbreviatedHeader(q, w, h);
      const rebuilt = new Uint8Array(header.length + scan.end - scan.start + 2);
      rebuilt.set(header);
      rebuilt.set(full.subarray(scan.start, scan.end), header.length);
      rebuilt.set([0xff, 0xd9], rebuilt.length - 2);
      const a = decodeJpegImage(full, { channels: 1 });
      const b = decodeJpegImage(rebuilt, { channels: 1 });
      assert.deepEqual(b, a, `${w}x${h} q${q}`);
      // The tables-omitted form saves the JFIF, DQT, DHT and SOF bytes (~300 for grayscale).
      assert.ok(full.length - (scan.end - scan.start) > 290);
    }
  }
});

test('RGB and gray images round-trip with bounded error', () => {
  for (const channels of [1, 3] as const) {
    const w = 64;
    const h = 48;
    const pixels = new Uint8Array(w * h * channels);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < channels; c++) pixels[(y * w + x) * channels + c] = x * 2 + y + c * 40;
    const jpeg = encodeJpegImage(pixels, w, h, channels, 90);
    const out = decodeJpegImage(jpeg, { channels });
    assert.equal(out.width, w);
    assert.equal(out.height, h);
    let se = 0;
    for (let i = 0; i < pixels.length; i++) se += (out.pixels[i]! - pixels[i]!) ** 2;
    assert.ok(Math.sqrt(se / pixels.length) < 6, `channels ${channels}`);
    assert.equal(decodeJpegImage(jpeg, { channels: 1 }).pixels.length, w * h);
    assert.equal(decodeJpegImage(jpeg).channels, 3);
  }
});

test('bad images and options are typed errors', () => {
  const ok = encodeJpegImage(new Uint8Array(64 * 64 * 3), 64, 64, 3, 90);
  const isType = (type: CodecErrorType) => (e: unknown) => isCodecError(e, type);
  assert.throws(
    () => encodeJpegImage(new Uint8Array(10), 4, 4, 1, 90),
    isType(CodecErrorType.BadImage),
  );
  assert.throws(
    () => encodeJpegImage(new Uint8Array(16), 4, 4, 2 as 1, 90),
    isType(CodecErrorType.BadImage),
  );
  assert.throws(
    () => encodeJpegImage(new Uint8Array(16), 4, 4, 1, 0),
    isType(CodecErrorType.BadOptions),
  );
  assert.throws(
    () => encodeJpegImage(new Uint8Array(0), 0, 4, 1, 50),
    isType(CodecErrorType.BadImage),
  );
  assert.throws(() => decodeJpegImage(new Uint8Array([1, 2, 3])), isType(CodecErrorType.BadImage));
  assert.throws(
    () => decodeJpegImage(Buffer.from('not a jpeg at all')),
    isType(CodecErrorType.BadImage),
  );
  assert.throws(
    () => decodeJpegImage(ok.subarray(0, ok.length - 40)),
    isType(CodecErrorType.BadImage),
  );
  assert.throws(() => decodeJpegImage(ok, { maxPixels: 100 }), isType(CodecErrorType.Oversized));
  assert.throws(() => decodeJpegImage(ok, { channels: 4 as 3 }), isType(CodecErrorType.BadOptions));
});
