/** A decoded image: row-major, `channels` interleaved bytes per pixel (as the codec decodes JPEG). */
export interface ImageInput {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/** The parts of a model repository's manifest the agent reads (see docs/contracts-for-helpers.md). */
export interface ModelView {
  readonly name: string;
  readonly version: string;
  readonly inputShape: readonly [number, number, number];
  readonly classes: readonly string[];
  readonly baselineAccuracy: number;
  readonly fullFlops: number | undefined;
  readonly partitions: readonly PartitionView[];
}

export interface CodecSettings {
  readonly kind: string;
  readonly quality: number;
  readonly bits: number;
}

/** What a partition's features are encoded as: its shape, and its codec (its own, else the model's). */
export interface FeatureTarget {
  readonly featureShape: readonly number[];
  readonly codec: CodecSettings;
}

export interface PartitionView extends FeatureTarget {
  readonly id: string;
  readonly block: number;
  readonly accuracy: number;
  readonly meanBytes: number;
  readonly tailFlops: number | undefined;
}

/**
 * What the agent runs on the device: every head and the full (mobile-only) network of one model
 * repository, plus the input normalisation. Implemented over onnxruntime-node in `onnx-runtime.ts`.
 */
export interface ModelRuntime {
  readonly model: ModelView;
  /** Elements of one normalised input (C*H*W). */
  readonly inputLength: number;
  /** HWC bytes -> normalised CHW float32 of the manifest's input shape, into `out` when given. */
  normalise(image: ImageInput, out?: Float32Array): Float32Array;
  /** head_j: input -> features (c' x h' x w', float32). */
  runHead(partitionId: string, input: Float32Array): Promise<Float32Array>;
  /** The full network: input -> logits. */
  runFull(input: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

/** The codec operations the agent needs (implemented over @bottlenet/bottleneck-codec). */
export interface AgentCodec {
  /**
   * Quantize, tile, JPEG (tables omitted) and frame one feature at the partition's shape and codec;
   * returns the wire bytes. Pass the same `target` object each time (the model view's partition).
   */
  encodeFeatures(features: Float32Array, target: FeatureTarget): Uint8Array;
  /** A complete JPEG of the input image (cloud-only). */
  encodeImage(image: ImageInput, quality: number): Uint8Array;
  /** Decodes an uploaded image (JPEG, or binary PGM/PPM) to the given channel count. */
  decodeImage(bytes: Uint8Array, channels: 1 | 3): ImageInput;
}
