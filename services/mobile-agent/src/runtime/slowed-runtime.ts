import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageInput, ModelRuntime } from './types.js';

/**
 * Emulates a slower device on a fast host: after each session run it waits `(factor - 1)` times the
 * run's own time, so a run takes `factor` times as long. For demos and tests only (config
 * `emulation.deviceSlowdown`); the agent's measurements and energy include the wait, as they would
 * include a slow board's compute.
 */
export class SlowedRuntime implements ModelRuntime {
  constructor(
    private readonly inner: ModelRuntime,
    private readonly factor: number,
  ) {}

  get model(): ModelRuntime['model'] {
    return this.inner.model;
  }

  normalise(image: ImageInput): Float32Array {
    return this.inner.normalise(image);
  }

  runHead(partitionId: string, input: Float32Array): Promise<Float32Array> {
    return this.slow(() => this.inner.runHead(partitionId, input));
  }

  runFull(input: Float32Array): Promise<Float32Array> {
    return this.slow(() => this.inner.runFull(input));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async slow(f: () => Promise<Float32Array>): Promise<Float32Array> {
    const t = performance.now();
    const out = await f();
    const extra = (performance.now() - t) * (this.factor - 1);
    if (extra >= 0.5) await sleep(extra);
    return out;
  }
}
