import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Code, MeshError } from '@bottlenet/errors';
import type { ImageInput } from '../runtime/types.js';

/** Held-out images with labels. */
export interface LabelledImages {
  readonly images: ImageInput[];
  readonly labels: number[];
}

/** Reads a file written by `scripts/demo-scenes.py` (magic `BNSC`). */
export function readSceneFile(path: string): LabelledImages {
  const b = readFileSync(path);
  if (b.length < 20 || b.toString('ascii', 0, 4) !== 'BNSC') {
    throw new MeshError(Code.InvalidArgument, `${path} is not a scene file (magic BNSC)`, {
      type: 'bad_scene_file',
    });
  }
  const [n, h, w, c] = [
    b.readUInt32LE(4),
    b.readUInt32LE(8),
    b.readUInt32LE(12),
    b.readUInt32LE(16),
  ];
  const px = h * w * c;
  if (b.length !== 20 + n + n * px || (c !== 1 && c !== 3)) {
    throw new MeshError(
      Code.InvalidArgument,
      `${path} is truncated or malformed (${n} x ${h}x${w}x${c})`,
      { type: 'bad_scene_file' },
    );
  }
  const labels = Array.from(b.subarray(20, 20 + n));
  const images: ImageInput[] = [];
  for (let i = 0; i < n; i++) {
    const off = 20 + n + i * px;
    images.push({
      pixels: new Uint8Array(b.subarray(off, off + px)),
      width: w,
      height: h,
      channels: c,
    });
  }
  return { images, labels };
}

/**
 * The first `count` held-out test scenes of training's generator, cached under `cacheDir`; generated on
 * first use with Debian's python3 (torch, numpy) by `scripts/demo-scenes.py`.
 */
export function ensureScenes(o: {
  repoRoot: string;
  count: number;
  size: number;
  seed?: number;
  cacheDir?: string;
}): LabelledImages {
  const seed = o.seed ?? 0;
  // The cache is keyed by the generator's source, so a changed generator never serves stale scenes.
  const generator = readFileSync(join(o.repoRoot, 'training/bottlenet_train/data.py'));
  const version = createHash('sha256').update(generator).digest('hex').slice(0, 12);
  const file = join(
    o.cacheDir ?? join(o.repoRoot, '.cache'),
    `scenes-test-${o.size}-s${seed}-n${o.count}-${version}.bin`,
  );
  if (!existsSync(file)) {
    const python = process.env['PYTHON'] ?? '/usr/bin/python3';
    try {
      execFileSync(
        python,
        [
          join(o.repoRoot, 'scripts/demo-scenes.py'),
          '--count',
          String(o.count),
          '--size',
          String(o.size),
          '--seed',
          String(seed),
          '--out',
          file,
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
      throw new MeshError(
        Code.FailedPrecondition,
        `cannot generate test scenes with ${python} scripts/demo-scenes.py: ${err.trim().split('\n').pop() ?? ''}`,
        {
          type: 'scenes_unavailable',
          cause: e,
        },
      );
    }
  }
  return readSceneFile(file);
}
