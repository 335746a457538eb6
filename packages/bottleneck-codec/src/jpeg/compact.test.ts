import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  CodecErrorType,
  decodeFeatureFrame,
  decodeJpegImage,
  encodeFeatureFrame,
  encodeJpegImage,
  FLAG_COMPACT_JPEG,
  FLAG_TABLES_OMITTED,
  isCodecError,
  parseFrameHeader,
  quantize,
  tile,
  levelToPixelTable,
  type FeatureShape,
} from '../index.js';
import { mulberry32, syntheticFeature } from '../testing/index.js';

/** Marker codes of a JPEG's segments up to and including SOS. */
function markers(jpeg: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 2;
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff) {
    out.push(jpeg[pos + 1]!);
    if (jpeg[pos + 1] === 0xda) break;
    pos += 2 + ((jpeg[pos + 2]! << 8) | jpeg[pos + 3]!);
  }
  return out;
}

/** The JPEG without its APP0 (JFIF) segment. */
function withoutApp0(jpeg: Uint8Array): Uint8Array {
  assert.equal(jpeg[2], 0xff);
  assert.equal(jpeg[3], 0xe0, 'the standard stream starts with APP0');
  const len = (jpeg[4]! << 8) | jpeg[5]!;
  return Uint8Array.from([...jpeg.subarray(0, 2), ...jpeg.subarray(4 + len)]);
}

function images(): { pixels: Uint8Array; width: number; height: number; channels: 1 | 3 }[] {
  const rnd = mulberry32(9);
  const out: { pixels: Uint8Array; width: number; height: number; channels: 1 | 3 }[] = [];
  for (const shape of [
    [1, 28, 28],
    [2, 28, 28],
    [5, 14, 14],
    [10, 7, 7],
    [3, 5, 7],
  ] as FeatureShape[]) {
    const { q } = quantize(syntheticFeature(shape, 4), 8);
    out.push({ ...tile(q, shape, undefined, levelToPixelTable(8)), channels: 1 });
  }
  for (const [w, h, ch] of [
    [1, 1, 1],
    [33, 17, 1],
    [40, 24, 3],
    [17, 9, 3],
  ] as const) {
    out.push({
      pixels: Uint8Array.from({ length: w * h * ch }, () => Math.floor(rnd() * 256)),
      width: w,
      height: h,
      channels: ch,
    });
  }
  return out;
}

test('compact JPEG: no APP0, optimised Huffman tables, smaller, and it decodes to the same pixels', () => {
  for (const img of images()) {
    for (const q of [1, 20, 50, 90, 100]) {
      const std = encodeJpegImage(img.pixels, img.width, img.height, img.channels, q);
      const compact = encodeJpegImage(img.pixels, img.width, img.height, img.channels, q, {
        compact: true,
      });
      const m = markers(compact);
      assert.ok(!m.includes(0xe0), 'no APP0');
      assert.equal(m[0], 0xdb, 'DQT right after SOI');
      assert.ok(
        compact.length < std.length,
        `${img.width}x${img.height}x${img.channels} q${q}: ${compact.length} < ${std.length}`,
      );
      const a = decodeJpegImage(std, { channels: img.channels });
      const b = decodeJpegImage(compact, { channels: img.channels });
      assert.deepEqual(
        b.pixels,
        a.pixels,
        `${img.width}x${img.height}x${img.channels} q${q}: Huffman optimisation is lossless`,
      );
    }
  }
});

/** TurboJPEG's tjCompress2 (the addon's encodeReference) of each image at each quality, in hex. */
function referenceEncodes(cases: ReturnType<typeof images>, env: NodeJS.ProcessEnv): string[] {
  // TurboJPEG reads TJ_OPTIMIZE from the environment at each compress call; a child process keeps the
  // switch away from this one.
  const native = new URL('../internal/native.ts', import.meta.url).href;
  const script = `
    import { nativeJpeg } from ${JSON.stringify(native)};
    const cases = JSON.parse(process.argv[1]);
    const out = [];
    const buf = new Uint8Array(1 << 20);
    for (const c of cases) for (const q of ${JSON.stringify(QUALITIES)}) {
      const n = nativeJpeg().encodeReference(Uint8Array.from(Buffer.from(c.pixels, 'base64')), c.width, c.height, c.channels, q, buf);
      if (n < 0) throw new Error('encodeReference ' + n);
      out.push(Buffer.from(buf.subarray(0, n)).toString('hex'));
    }
    process.stdout.write(JSON.stringify(out));`;
  const arg = JSON.stringify(
    cases.map((c) => ({ ...c, pixels: Buffer.from(c.pixels).toString('base64') })),
  );
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, arg],
    {
      encoding: 'utf8',
      env,
    },
  );
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as string[];
}

const QUALITIES = [1, 20, 50, 90, 100];
const hex = (a: Uint8Array) => Buffer.from(a).toString('hex');

test('standard JPEG equals tjCompress2 (TJFLAG_ACCURATEDCT) byte for byte, gray and 4:2:0, any order of modes', () => {
  const cases = images();
  const env = { ...process.env };
  delete env.TJ_OPTIMIZE;
  const ref = referenceEncodes(cases, env);
  let k = 0;
  for (const img of cases) {
    for (const q of QUALITIES) {
      // a compact encode in between must not leave its optimised tables behind
      encodeJpegImage(img.pixels, img.width, img.height, img.channels, q, { compact: true });
      const ours = encodeJpegImage(img.pixels, img.width, img.height, img.channels, q);
      assert.equal(hex(ours), ref[k++], `${img.width}x${img.height}x${img.channels} q${q}`);
    }
  }
});

test('compact JPEG equals tjCompress2 with TJ_OPTIMIZE=1 with its APP0 removed, byte for byte', () => {
  const cases = images();
  const optimised = referenceEncodes(cases, { ...process.env, TJ_OPTIMIZE: '1' });
  let k = 0;
  for (const img of cases) {
    for (const q of QUALITIES) {
      const tj = withoutApp0(Uint8Array.from(Buffer.from(optimised[k++]!, 'hex')));
      encodeJpegImage(img.pixels, img.width, img.height, img.channels, q);
      const ours = encodeJpegImage(img.pixels, img.width, img.height, img.channels, q, {
        compact: true,
      });
      assert.equal(hex(ours), hex(tj), `${img.width}x${img.height}x${img.channels} q${q}`);
    }
  }
  // and the switch did change TurboJPEG's stream (the comparison above is not vacuous)
  const plain = withoutApp0(
    encodeJpegImage(cases[0]!.pixels, cases[0]!.width, cases[0]!.height, 1, 20),
  );
  assert.notEqual(hex(plain), hex(withoutApp0(Uint8Array.from(Buffer.from(optimised[1]!, 'hex')))));
});

test('compact frames: flag bit 1, same decoded floats as the full-JPEG frame, smaller', () => {
  for (const shape of [
    [1, 28, 28],
    [2, 28, 28],
    [5, 14, 14],
    [10, 7, 7],
    [3, 5, 7],
  ] as FeatureShape[]) {
    for (const bits of [1, 4, 8]) {
      const data = syntheticFeature(shape, 6);
      const full = encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, omitTables: false });
      const fullToo = encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, jpegMode: 'full' });
      assert.deepEqual(fullToo, full);
      const compact = encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, jpegMode: 'compact' });
      const h = parseFrameHeader(compact);
      assert.equal(compact[5], FLAG_COMPACT_JPEG);
      assert.ok(h.compactJpeg && !h.tablesOmitted);
      assert.ok(compact.length < full.length);
      const a = decodeFeatureFrame(full);
      const b = decodeFeatureFrame(compact, { expectedShape: shape });
      assert.deepEqual(b.data, a.data, `${shape.join('x')} bits ${bits}`);
      assert.equal(b.compactJpeg, true);
      assert.equal(a.compactJpeg, false);
      // and the abbreviated default is unchanged
      const abbr = encodeFeatureFrame(data, shape, { codec: 'jpeg', bits });
      assert.equal(abbr[5], FLAG_TABLES_OMITTED);
      assert.deepEqual(
        encodeFeatureFrame(data, shape, { codec: 'jpeg', bits, jpegMode: 'abbreviated' }),
        abbr,
      );
    }
  }
});

test('compact mode errors: contradicting options, non-JPEG codecs, both flag bits, compact flag on png', () => {
  const shape: FeatureShape = [1, 28, 28];
  const data = syntheticFeature(shape, 2);
  const bad = (fn: () => unknown, type: CodecErrorType, re: RegExp) =>
    assert.throws(fn, (e: unknown) => isCodecError(e, type) && re.test((e as Error).message));
  bad(
    () => encodeFeatureFrame(data, shape, { codec: 'jpeg', jpegMode: 'compact', omitTables: true }),
    CodecErrorType.BadOptions,
    /contradicts/,
  );
  bad(
    () =>
      encodeFeatureFrame(data, shape, {
        codec: 'jpeg',
        jpegMode: 'abbreviated',
        omitTables: false,
      }),
    CodecErrorType.BadOptions,
    /contradicts/,
  );
  bad(
    () => encodeFeatureFrame(data, shape, { codec: 'png', jpegMode: 'compact' }),
    CodecErrorType.BadOptions,
    /JPEG only/,
  );
  bad(
    () => encodeFeatureFrame(data, shape, { codec: 'jpeg', jpegMode: 'tiny' as never }),
    CodecErrorType.BadOptions,
    /jpegMode/,
  );
  const compact = encodeFeatureFrame(data, shape, { codec: 'jpeg', jpegMode: 'compact' }).slice();
  compact[5] = FLAG_COMPACT_JPEG | FLAG_TABLES_OMITTED;
  bad(() => decodeFeatureFrame(compact), CodecErrorType.BadHeader, /exclude each other/);
  const png = encodeFeatureFrame(data, shape, { codec: 'png' }).slice();
  png[5] = FLAG_COMPACT_JPEG;
  bad(() => decodeFeatureFrame(png), CodecErrorType.BadHeader, /no compact JPEG mode/);
});
