// The reference: onnxruntime-node alone on the same tail file with the worker's session options.
import { Tensor } from 'onnxruntime-node';
import { openSession, type ModelRepository } from '@bottlenet/model-repo';

/** onnxruntime-node alone: the same tail file and session options (1 intra-op thread), given batch sizes. */
export class RawOrt {
  private readonly tensors = new Map<number, Tensor>();

  private constructor(
    private readonly opened: Awaited<ReturnType<typeof openSession>>,
    private readonly features: readonly Float32Array[],
  ) {}

  static async open(
    repo: ModelRepository,
    partitionId: string,
    features: readonly Float32Array[],
  ): Promise<RawOrt> {
    const opened = await openSession(
      repo,
      { partition: partitionId, part: 'tail' },
      { intraOpNumThreads: 1, interOpNumThreads: 1 },
    );
    return new RawOrt(opened, features);
  }

  private tensor(b: number): Tensor {
    let t = this.tensors.get(b);
    if (t === undefined) {
      const size = this.opened.inputShape.reduce((x, y) => x * y, 1);
      const data = new Float32Array(b * size);
      for (let i = 0; i < b; i++) data.set(this.features[i % this.features.length]!, i * size);
      t = new Tensor('float32', data, [b, ...this.opened.inputShape]);
      this.tensors.set(b, t);
    }
    return t;
  }

  /** Samples per second over `seconds`, running the sizes interleaved in proportion to `batches`. */
  async throughput(batches: ReadonlyMap<number, number>, seconds: number): Promise<number> {
    const schedule: number[] = [];
    for (const [b, n] of batches) for (let i = 0; i < n; i++) schedule.push(b);
    for (let i = schedule.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [schedule[i], schedule[j]] = [schedule[j]!, schedule[i]!];
    }
    const run = (b: number) => this.opened.session.run({ [this.opened.inputName]: this.tensor(b) });
    for (const b of batches.keys()) await run(b);
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let samples = 0;
    for (let i = 0; performance.now() < end; i++) {
      const b = schedule[i % schedule.length]!;
      await run(b);
      samples += b;
    }
    return samples / ((performance.now() - t0) / 1000);
  }

  release(): Promise<void> {
    return this.opened.session.release();
  }
}
