import { Tensor } from 'onnxruntime-node';
import { encodeFeatureFrame, type FeatureShape } from '@bottlenet/bottleneck-codec';
import {
  normalizeInput,
  openSession,
  partitionCodec,
  type CodecSpec,
  type ModelRepository,
  type OpenedSession,
} from '@bottlenet/model-repo';

/**
 * What the mobile agent does before sending, for tests and benchmarks: normalise pixels, run the
 * partition's head with onnxruntime-node, and encode each sample's features into a frame with the
 * partition's codec settings (its own, else the manifest's; tables omitted).
 */
export class AgentEncoder {
  private constructor(
    private readonly repo: ModelRepository,
    private readonly head: OpenedSession,
    readonly featureShape: FeatureShape,
    private readonly codec: CodecSpec,
  ) {}

  static async open(repo: ModelRepository, partitionId: string): Promise<AgentEncoder> {
    const head = await openSession(
      repo,
      { partition: partitionId, part: 'head' },
      { intraOpNumThreads: 1 },
    );
    const p = repo.partition(partitionId);
    const [c, h, w] = p.featureShape;
    return new AgentEncoder(repo, head, [c, h, w], partitionCodec(repo.manifest, p));
  }

  /** Frames for `count` gray/RGB images of the input shape stored back to back in `pixels` (HWC per image). */
  async encode(pixels: Uint8Array, count: number, batch = 256): Promise<Uint8Array[]> {
    const m = this.repo.manifest;
    const [C, H, W] = m.input.shape;
    const sample = C * H * W;
    const featureSize = this.featureShape[0] * this.featureShape[1] * this.featureShape[2];
    const frames: Uint8Array[] = [];
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const input = new Float32Array(n * sample);
      for (let i = 0; i < n; i++) {
        const data = pixels.subarray((start + i) * H * W * C, (start + i + 1) * H * W * C);
        normalizeInput(
          m.input,
          { data, width: W, height: H, channels: C },
          { out: input, offset: i * sample },
        );
      }
      const out = await this.head.session.run({
        [this.head.inputName]: new Tensor('float32', input, [n, C, H, W]),
      });
      const features = out[this.head.outputName]!.data as Float32Array;
      for (let i = 0; i < n; i++) {
        frames.push(
          encodeFeatureFrame(
            features.slice(i * featureSize, (i + 1) * featureSize),
            this.featureShape,
            {
              codec: this.codec.kind,
              quality: this.codec.quality,
              bits: this.codec.bits,
              omitTables: true,
            },
          ),
        );
      }
    }
    return frames;
  }

  async release(): Promise<void> {
    await this.head.session.release();
  }
}
