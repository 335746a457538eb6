/**
 * pnpm bench:codec — encode+decode time per feature next to libjpeg-turbo's own C speed on the same
 * pixels (measured in the same run, interleaved), frame bytes of a 1x28x28 feature at q20, and the
 * quantize+tile+untile+dequantize time. Checks the limits of issue 2 and ends with
 * `codec: worst_ratio=<x> bytes_1x28x28=<n>`. Exit code 1 when a limit is missed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  decodeFeatureFrameInto,
  decodeJpegImage,
  dequantize,
  encodeFeatureFrame,
  encodeJpegImage,
  levelToPixelTable,
  pixelToLevelTable,
  quantize,
  tile,
  untile,
  type FeatureShape,
  type JpegMode,
} from '@bottlenet/bottleneck-codec';
import { mulberry32, syntheticFeature } from '@bottlenet/bottleneck-codec/testing';

const LIMIT_RATIO = 1.5;
const LIMIT_BYTES = 80;
const LIMIT_QTUD_US = 20;
const QUALITY = 20;
const REPS = Number(process.env.BENCH_REPS ?? 7);
/** Short timed samples per repetition and side: the min over many short samples finds the quiet moments of a loaded machine. */
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);

const here = new URL('.', import.meta.url).pathname;
const cache = join(here, '.cache');
const out = (s: string) => process.stdout.write(s + '\n');

interface Case {
  name: string;
  shape?: FeatureShape;
  data?: Float32Array;
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
  quality: number;
  iters: number;
}

function buildHarness(): string {
  mkdirSync(cache, { recursive: true });
  const exe = join(cache, 'harness');
  const src = join(here, 'harness.c');
  if (!existsSync(exe) || statSync(exe).mtimeMs < statSync(src).mtimeMs) {
    const r = spawnSync('gcc', ['-O2', '-o', exe, src, '-lturbojpeg'], { stdio: 'inherit' });
    if (r.status !== 0)
      throw new Error('bench codec: building the C harness failed (gcc, libturbojpeg0-dev)');
  }
  return exe;
}

function featureCase(shape: FeatureShape, iters: number): Case {
  const data = syntheticFeature(shape, 1);
  const { q } = quantize(data, 8);
  const img = tile(q, shape, undefined, levelToPixelTable(8));
  return { name: shape.join('x'), shape, data, ...img, channels: 1, quality: QUALITY, iters };
}

function imageCase(): Case {
  const w = 224;
  const h = 224;
  const rnd = mulberry32(42);
  const pixels = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const v = 128 + 60 * Math.sin((x + c * 30) / 19) * Math.cos(y / 23) + 30 * (rnd() - 0.5);
        pixels[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
  return {
    name: '224x224x3 image',
    pixels,
    width: w,
    height: h,
    channels: 3,
    quality: 90,
    iters: 12,
  };
}

function writeCases(cases: Case[]): string {
  const parts: Buffer[] = [];
  for (const c of cases) {
    const head = Buffer.alloc(20);
    [c.width, c.height, c.channels, c.quality, c.iters].forEach((v, i) =>
      head.writeInt32LE(v, i * 4),
    );
    parts.push(head, Buffer.from(c.pixels));
  }
  const file = join(cache, 'cases.bin');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** Wall and process-CPU nanoseconds per iteration of `body`. */
function timed(iters: number, body: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < iters; k++) body();
  const wall = Number(process.hrtime.bigint() - t0) / iters;
  const cu = process.cpuUsage(c0);
  return { wall, cpu: ((cu.user + cu.system) * 1000) / iters };
}

interface Timing {
  wall: number;
  cpu: number;
}

/**
 * One timing of ours for a case, per encode+decode. `codec`: the JPEG codec on the same (tiled) pixels
 * the C harness gets, the like-for-like comparison the limit is about; `pipeline`: the whole feature
 * path (quantize, tile, JPEG with tables omitted, frame, and back), reported beside it.
 */
function timeOurs(c: Case, mode: 'codec' | 'pipeline'): Timing {
  if (mode === 'pipeline' && c.shape && c.data) {
    const { shape, data } = c;
    const dst = new Float32Array(data.length);
    return timed(c.iters, () => {
      const frame = encodeFeatureFrame(data, shape, { codec: 'jpeg', quality: c.quality, bits: 8 });
      decodeFeatureFrameInto(frame, dst, 0, shape);
    });
  }
  const pixels = c.pixels;
  return timed(c.iters, () => {
    const jpeg = encodeJpegImage(pixels, c.width, c.height, c.channels, c.quality);
    decodeJpegImage(jpeg, { channels: c.channels });
  });
}

function timeQtud(shape: FeatureShape, iters: number): Timing {
  const data = syntheticFeature(shape, 2);
  const n = data.length;
  const q = new Uint8Array(n);
  const q2 = new Uint8Array(n);
  const f = new Float32Array(n);
  const toPixel = levelToPixelTable(8);
  const toLevel = pixelToLevelTable(8);
  const pix = new Uint8Array(64 * 64);
  return timed(iters, () => {
    const { min, max } = quantize(data, 8, q);
    tile(q, shape, pix, toPixel);
    untile(pix, shape, q2, toLevel);
    dequantize(q2, 8, min, max, f);
  });
}

const minOf = (a: number[]) => Math.min(...a);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

function main(): number {
  const exe = buildHarness();
  const shapes: FeatureShape[] = [
    [1, 28, 28],
    [2, 28, 28],
    [5, 14, 14],
    [10, 7, 7],
  ];
  const cases = [...shapes.map((s) => featureCase(s, 600)), imageCase()];
  const file = writeCases(cases);
  const c: Timing[][] = cases.map(() => []);
  const ours: Timing[][] = cases.map(() => []);
  const pipeline: Timing[][] = cases.map(() => []);
  const cBytes: number[] = [];
  for (const k of cases) {
    // warm-up (JIT, scratch buffers)
    timeOurs(k, 'codec');
    timeOurs(k, 'pipeline');
  }
  for (let r = 0; r < REPS; r++) {
    const res = spawnSync(exe, [file, String(SAMPLES)], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`bench codec: harness failed: ${res.stderr}`);
    for (const line of res.stdout.trim().split('\n')) {
      const [i, , wall, bytes, cpu] = line.split(' ').map(Number);
      c[i!]!.push({ wall: wall!, cpu: cpu! });
      cBytes[i!] = bytes!;
    }
    // rotate the order each repetition so that no case always runs first after the harness
    for (let s = 0; s < SAMPLES; s++) {
      for (let j = 0; j < cases.length; j++) {
        const i = (j + r) % cases.length;
        ours[i]!.push(timeOurs(cases[i]!, 'codec'));
        pipeline[i]!.push(timeOurs(cases[i]!, 'pipeline'));
      }
    }
  }

  out(
    `codec bench: ${REPS} interleaved repetitions (C harness, then ours) of ${SAMPLES} short samples each; ` +
      'microseconds per encode+decode, min over all samples',
  );
  out(
    '(CPU = process CPU time, the ratio that is checked: it is robust to other load on a shared machine; wall beside it)',
  );
  out(
    'case            | C cpu   | ours cpu | ratio cpu | C wall  | ours wall | ratio wall | C JPEG bytes | whole feature path cpu (ratio)',
  );
  let worst = 0;
  let worstPipeline = 0;
  const f = (v: number, n = 7) => (v / 1000).toFixed(2).padStart(n);
  cases.forEach((k, i) => {
    const cc = minOf(c[i]!.map((t) => t.cpu));
    const oc = minOf(ours[i]!.map((t) => t.cpu));
    const cw = minOf(c[i]!.map((t) => t.wall));
    const ow = minOf(ours[i]!.map((t) => t.wall));
    const pc = minOf(pipeline[i]!.map((t) => t.cpu));
    worst = Math.max(worst, oc / cc);
    worstPipeline = Math.max(worstPipeline, pc / cc);
    out(
      `${k.name.padEnd(15)} | ${f(cc)} | ${f(oc, 8)} | ${(oc / cc).toFixed(2).padStart(9)} | ${f(cw)} | ${f(ow, 9)} | ` +
        `${(ow / cw).toFixed(2).padStart(10)} | ${String(cBytes[i]).padStart(12)} | ${f(pc)} (${(pc / cc).toFixed(2)})`,
    );
  });
  out(
    'ours = encodeJpegImage + decodeJpegImage on the same pixels as C (the tiled gray feature image at q20;',
  );
  out(
    '       the image at 4:2:0, q90). C = tjCompress2 + tjDecompress2, same flags, handles reused.',
  );
  out(
    'whole feature path = encodeFeatureFrame (quantize, tile, JPEG tables omitted, frame) + decodeFeatureFrameInto',
  );
  out(
    `       (untile, dequantize into a batch tensor); worst ratio to C's JPEG alone: ${worstPipeline.toFixed(2)} (informative)`,
  );

  // Bytes on the wire of a 1x28x28 feature at q20.
  const shape: FeatureShape = [1, 28, 28];
  const sizes: number[] = [];
  const fullSizes: number[] = [];
  const compactSizes: number[] = [];
  const frameBytes = (d: Float32Array, jpegMode: JpegMode) =>
    encodeFeatureFrame(d, shape, { codec: 'jpeg', quality: QUALITY, jpegMode }).length;
  for (let s = 1; s <= 31; s++) {
    const d = syntheticFeature(shape, s);
    sizes.push(frameBytes(d, 'abbreviated'));
    fullSizes.push(frameBytes(d, 'full'));
    compactSizes.push(frameBytes(d, 'compact'));
  }
  const bytes = median(sizes);
  out(
    `1x28x28 q${QUALITY} frame bytes (header included), median of 31 synthetic smooth ReLU features (syntheticFeature seeds 1..31): ` +
      `tables omitted ${bytes} (min ${minOf(sizes)}, max ${Math.max(...sizes)}), full JPEG ${median(fullSizes)}, ` +
      `compact full JPEG ${median(compactSizes)} (min ${minOf(compactSizes)}, max ${Math.max(...compactSizes)})`,
  );
  const vector = JSON.parse(
    readFileSync(
      join(here, '../../packages/bottleneck-codec/vectors/feature-1x28x28.json'),
      'utf8',
    ),
  ) as { cases: { bits: number; inputF32LE: string }[] };
  const vcase = vector.cases.find((k) => k.bits === 8)!;
  const vraw = Buffer.from(vcase.inputF32LE, 'base64');
  const vin = new Float32Array(
    vraw.buffer.slice(vraw.byteOffset, vraw.byteOffset + vraw.byteLength),
  );
  out(
    `  shared vector packages/bottleneck-codec/vectors/feature-1x28x28.json (8-bit case input): tables omitted ` +
      `${frameBytes(vin, 'abbreviated')}, full JPEG ${frameBytes(vin, 'full')}, compact full JPEG ${frameBytes(vin, 'compact')} bytes`,
  );
  const fmnist = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
  if (existsSync(fmnist)) {
    const raw = gunzipSync(readFileSync(fmnist));
    const fm: number[] = [];
    const fmFull: number[] = [];
    const fmCompact: number[] = [];
    for (let k = 0; k < 200; k++) {
      const d = Float32Array.from(raw.subarray(16 + k * 784, 16 + (k + 1) * 784), (v) => v / 255);
      fm.push(frameBytes(d, 'abbreviated'));
      fmFull.push(frameBytes(d, 'full'));
      fmCompact.push(frameBytes(d, 'compact'));
    }
    out(
      `  (for scale: a raw Fashion-MNIST image sent as a 1x28x28 "feature": median ${median(fm)} bytes tables omitted, ` +
        `${median(fmFull)} full, ${median(fmCompact)} compact; its sharp edges cost more than a smooth bottleneck feature)`,
    );
  }

  // quantize + tile + untile + dequantize.
  let worstQtud = 0;
  const qtud: string[] = [];
  for (const s of [
    [10, 7, 7],
    [5, 14, 14],
    [1, 28, 28],
    [2, 28, 28],
  ] as FeatureShape[]) {
    timeQtud(s, 2000);
    const t = minOf(Array.from({ length: REPS }, () => timeQtud(s, 5000).cpu)) / 1000;
    worstQtud = Math.max(worstQtud, t);
    qtud.push(`${s.join('x')} ${t.toFixed(2)} us`);
  }
  out(`quantize+tile+untile+dequantize (float32, 8 bits, CPU time): ${qtud.join(', ')}`);

  const checks: [string, boolean][] = [
    [
      `encode+decode within ${LIMIT_RATIO}x of C for every shape (worst ${worst.toFixed(2)})`,
      worst <= LIMIT_RATIO,
    ],
    [
      `1x28x28 q${QUALITY} frame <= ${LIMIT_BYTES} bytes with tables omitted (${bytes})`,
      bytes <= LIMIT_BYTES,
    ],
    [
      `quantize+tile+untile+dequantize < ${LIMIT_QTUD_US} us (worst ${worstQtud.toFixed(2)})`,
      worstQtud < LIMIT_QTUD_US,
    ],
  ];
  for (const [what, ok] of checks) out(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  out(`codec: worst_ratio=${worst.toFixed(2)} bytes_1x28x28=${bytes}`);
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

process.exitCode = main();
