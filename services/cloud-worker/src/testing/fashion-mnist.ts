import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Where Debian's dataset-fashion-mnist installs the idx files. */
export const FASHION_MNIST_DIR =
  process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** count * rows * cols bytes, image after image. */
  readonly pixels: Uint8Array;
}

/** Reads a (gzipped) idx3 image file; the first `limit` images when given. */
export function readIdxImages(path: string, limit?: number): IdxImages {
  const buf = gunzipMaybe(readFileSync(path));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0) !== 0x803) throw new Error(`${path} is not an idx3 image file`);
  const total = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  const count = Math.min(total, limit ?? total);
  return { count, rows, cols, pixels: buf.subarray(16, 16 + count * rows * cols) };
}

/** Reads a (gzipped) idx1 label file; the first `limit` labels when given. */
export function readIdxLabels(path: string, limit?: number): Uint8Array {
  const buf = gunzipMaybe(readFileSync(path));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0) !== 0x801) throw new Error(`${path} is not an idx1 label file`);
  const count = Math.min(view.getUint32(4), limit ?? Infinity);
  return buf.subarray(8, 8 + count);
}

/** The Fashion-MNIST test set (the first `limit` samples). */
export function fashionMnistTest(limit?: number): { images: IdxImages; labels: Uint8Array } {
  return {
    images: readIdxImages(`${FASHION_MNIST_DIR}/t10k-images-idx3-ubyte.gz`, limit),
    labels: readIdxLabels(`${FASHION_MNIST_DIR}/t10k-labels-idx1-ubyte.gz`, limit),
  };
}

function gunzipMaybe(b: Buffer): Buffer {
  return b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}
