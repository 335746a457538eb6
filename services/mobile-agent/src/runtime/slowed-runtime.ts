import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageInput, ModelRuntime } from './types.js';

/**
 * Emulates a slower device on a fast host: a session run takes `factor` times the fastest run of that
 * network seen so far (it waits out the difference). Using the fastest run, not the current one, keeps
 * the emulated device's speed independent of whatever else loads the host (the cloud tier runs on the
 * same machine in demos). For demos and tests only (config `emulation.deviceSlowdown`); the agent's
 * measurements and energy include the wait, as they would include a slow board's compute.
 */
export class SlowedRuntime implements ModelRuntime {
  constructor(
    private readonly inner: ModelRuntime,
    private readonly factor: number,
  ) {}

  get model(): ModelRuntime['model'] {
    return this.inner.model;
  }

  get inputLength(): number {
    return this.inner.inputLength;
  }

  normalise(image: ImageInput, out?: Float32Array): Float32Array {
    return this.inner.normalise(image, out);
  }

  private readonly fastest = new Map<string, number>();

  runHead(partitionId: string, input: Float32Array): Promise<Float32Array> {
    return this.slow(partitionId, () => this.inner.runHead(partitionId, input));
  }

  runFull(input: Float32Array): Promise<Float32Array> {
    return this.slow('full', () => this.inner.runFull(input));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async slow(key: string, f: () => Promise<Float32Array>): Promise<Float32Array> {
    const t = performance.now();
    const out = await f();
    const took = performance.now() - t;
    const best = Math.min(took, this.fastest.get(key) ?? Infinity);
    this.fastest.set(key, best);
    const extra = best * this.factor - took;
    if (extra >= 0.5) await sleep(extra);
    return out;
  }
}
