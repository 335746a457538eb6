import { Tensor } from 'onnxruntime-node';
import {
  loadModelRepository,
  openSession,
  partitionCodec,
  type ModelRepository,
  type OpenedSession,
} from '@bottlenet/model-repo';
import { Code, MeshError } from '@bottlenet/errors';
import type { ImageInput, ModelRuntime, ModelView } from './types.js';
import { InputNormaliser } from './input-normaliser.js';

export interface OnnxRuntimeOptions {
  /** onnxruntime execution providers in order of preference. @default ['cpu'] */
  executionProviders?: readonly ('cpu' | 'cuda' | 'tensorrt')[];
  /** @default 1 */
  intraOpThreads?: number;
  /** Verify the manifest's SHA-256 of every file. @default true */
  verifyChecksums?: boolean;
}

/**
 * The device's networks: every partition's head and the full network of one model repository, each in
 * its own onnxruntime-node session (batch 1). A session run that fails becomes `Internal`.
 */
export class OnnxModelRuntime implements ModelRuntime {
  private readonly normaliser: InputNormaliser;
  /** The batch-1 input dims of every session, built once. */
  private readonly dims = new Map<OpenedSession, readonly number[]>();
  /**
   * Feeds per session and input buffer: the agent normalises into a few reused buffers, so the
   * `Tensor` wrapping each (type checks, size) and its feeds object are built once per buffer, not per
   * run; the tensor holds the buffer itself, so every run reads what was just written into it.
   */
  private readonly feeds = new Map<OpenedSession, WeakMap<Float32Array, Record<string, Tensor>>>();

  private constructor(
    readonly repo: ModelRepository,
    readonly model: ModelView,
    private readonly heads: ReadonlyMap<string, OpenedSession>,
    private readonly full: OpenedSession,
  ) {
    this.normaliser = new InputNormaliser(repo.manifest.input);
    for (const s of [...heads.values(), full]) {
      this.dims.set(s, [1, ...s.inputShape]);
      this.feeds.set(s, new WeakMap());
    }
  }

  static async open(dir: string, options: OnnxRuntimeOptions = {}): Promise<OnnxModelRuntime> {
    const repo = await loadModelRepository(dir, {
      verifyChecksums: options.verifyChecksums ?? true,
    });
    const o = {
      executionProviders: [...(options.executionProviders ?? ['cpu'])],
      intraOpNumThreads: options.intraOpThreads ?? 1,
    };
    const full = await openSession(repo, 'full', o);
    const heads = new Map<string, OpenedSession>();
    for (const id of repo.partitionIds)
      heads.set(id, await openSession(repo, { partition: id, part: 'head' }, o));
    const m = repo.manifest;
    const view: ModelView = {
      name: m.name,
      version: m.version,
      inputShape: [m.input.shape[0], m.input.shape[1], m.input.shape[2]],
      classes: m.classes,
      baselineAccuracy: m.baselineAccuracy,
      fullFlops: m.full.flops,
      partitions: m.partitions.map((p) => ({
        id: p.id,
        block: p.block,
        featureShape: p.featureShape,
        codec: partitionCodec(m, p),
        accuracy: p.accuracy,
        meanBytes: p.meanBytes,
        tailFlops: p.tail.flops,
      })),
    };
    return new OnnxModelRuntime(repo, view, heads, full);
  }

  get inputLength(): number {
    return this.normaliser.length;
  }

  normalise(image: ImageInput, out?: Float32Array): Float32Array {
    return this.normaliser.normalise(image, out);
  }

  runHead(partitionId: string, input: Float32Array): Promise<Float32Array> {
    const s = this.heads.get(partitionId);
    if (s === undefined) {
      return Promise.reject(
        new MeshError(
          Code.NotFound,
          `no head for partition "${partitionId}" in ${this.model.name}`,
          { type: 'partition_unknown' },
        ),
      );
    }
    return this.run(s, input);
  }

  runFull(input: Float32Array): Promise<Float32Array> {
    return this.run(this.full, input);
  }

  private async run(s: OpenedSession, input: Float32Array): Promise<Float32Array> {
    const cache = this.feeds.get(s)!;
    let feeds = cache.get(input);
    if (feeds === undefined) {
      feeds = { [s.inputName]: new Tensor('float32', input, this.dims.get(s)) };
      cache.set(input, feeds);
    }
    try {
      const out = await s.session.run(feeds);
      return out[s.outputName]!.data as Float32Array;
    } catch (e) {
      throw new MeshError(
        Code.Internal,
        `session run of ${this.model.name} failed: ${(e as Error).message}`,
        { cause: e, type: 'session_run_failed' },
      );
    }
  }

  async close(): Promise<void> {
    for (const s of [...this.heads.values(), this.full]) await s.session.release();
  }
}
