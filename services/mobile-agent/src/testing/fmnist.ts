import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { ImageInput } from '../runtime/types.js';

/** Debian's Fashion-MNIST (package dataset-fashion-mnist), as training reads it. */
export const FMNIST_DIR = '/usr/share/datasets/fashion-mnist';

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const raw = gunzipSync(readFileSync(path));
  const ndim = raw[3]!;
  const dims = Array.from({ length: ndim }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return {
    dims,
    data: new Uint8Array(raw.buffer, raw.byteOffset + 4 + 4 * ndim, raw.length - 4 - 4 * ndim),
  };
}

/** The first `limit` test images (28x28 gray) and labels, in the order training evaluates them. */
export function loadFmnistTest(
  limit: number,
  dir = FMNIST_DIR,
): { images: ImageInput[]; labels: number[] } {
  const imgs = readIdx(join(dir, 't10k-images-idx3-ubyte.gz'));
  const labs = readIdx(join(dir, 't10k-labels-idx1-ubyte.gz'));
  const n = Math.min(limit, imgs.dims[0]!);
  const images: ImageInput[] = [];
  for (let i = 0; i < n; i++)
    images.push({
      pixels: imgs.data.slice(i * 784, (i + 1) * 784),
      width: 28,
      height: 28,
      channels: 1,
    });
  return { images, labels: Array.from(labs.data.subarray(0, n)) };
}
