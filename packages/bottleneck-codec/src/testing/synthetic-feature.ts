/**
 * Deterministic stand-in features for vectors, tests and benchmarks: per channel a few Gaussian
 * blobs of both signs plus a little noise, through a ReLU, like a bottleneck's BN+ReLU output.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticFeature(
  shape: readonly [number, number, number],
  seed: number,
): Float32Array {
  const [c, h, w] = shape;
  const rnd = mulberry32(seed);
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) {
    const blobs = Array.from({ length: 3 }, () => ({
      x: rnd() * w,
      y: rnd() * h,
      s: (0.15 + rnd() * 0.3) * Math.max(h, w),
      a: (rnd() * 2 - 0.6) * 3,
    }));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = (rnd() - 0.5) * 0.1;
        for (const b of blobs)
          v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
        out[k * h * w + y * w + x] = Math.max(0, v);
      }
    }
  }
  return out;
}
