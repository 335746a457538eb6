import { Code, MeshError } from '@bottlenet/errors';
import type { ImageInput } from './types.js';

/** True when the bytes start like a binary PGM (P5) or PPM (P6). */
export function isPnm(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36);
}

/**
 * Parses a binary PGM/PPM with maxval 255 (what `scripts/demo-scenes` writes: lossless test scenes).
 * Errors are `InvalidArgument` with type `image_bad_input`.
 */
export function decodePnm(bytes: Uint8Array): ImageInput {
  const bad = (why: string): MeshError =>
    new MeshError(Code.InvalidArgument, `bad PNM image: ${why}`, { type: 'image_bad_input' });
  const channels = bytes[1] === 0x36 ? 3 : 1;
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3) {
    while (
      i < bytes.length &&
      (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
    )
      i++;
    if (bytes[i] === 0x23) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++;
      continue;
    }
    let n = '';
    while (i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39)
      n += String.fromCharCode(bytes[i++]!);
    if (n === '') throw bad('truncated header');
    fields.push(Number(n));
  }
  i++; // the single whitespace byte after maxval
  const [width, height, maxval] = fields as [number, number, number];
  if (maxval !== 255) throw bad(`maxval ${maxval} (only 255 is supported)`);
  if (width < 1 || height < 1) throw bad(`size ${width}x${height}`);
  const need = width * height * channels;
  if (bytes.length - i < need)
    throw bad(
      `${width}x${height}x${channels} needs ${need} bytes of pixels, got ${bytes.length - i}`,
    );
  return { pixels: new Uint8Array(bytes.subarray(i, i + need)), width, height, channels };
}

/** Writes a binary PGM/PPM. */
export function encodePnm(image: ImageInput): Uint8Array {
  const header = Buffer.from(
    `P${image.channels === 3 ? 6 : 5}\n${image.width} ${image.height}\n255\n`,
    'ascii',
  );
  return Buffer.concat([header, image.pixels]);
}
