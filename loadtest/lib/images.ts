import { existsSync } from 'node:fs';
import { loadFmnistTest, type ImageInput } from '@bottlenet/mobile-agent';

/**
 * Test images for a model's input shape: Debian's Fashion-MNIST test set when the model takes 28x28
 * gray and the dataset is installed (the images the shipped repositories were measured on), else
 * deterministic synthetic pictures of the right size.
 */
export function testImages(shape: readonly [number, number, number], n: number): ImageInput[] {
  const [c, h, w] = shape;
  if (
    c === 1 &&
    h === 28 &&
    w === 28 &&
    existsSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz')
  ) {
    return loadFmnistTest(n).images;
  }
  const channels = c === 1 ? 1 : 3;
  return Array.from({ length: n }, (_, k) => ({
    pixels: new Uint8Array(h * w * channels).map((_, i) =>
      Math.floor(128 + 127 * Math.sin(i * 0.013 * (k + 1) + k)),
    ),
    width: w,
    height: h,
    channels,
  }));
}
