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
  readonly codec: { readonly quality: number; readonly bits: number; readonly kind: string };
  readonly fullFlops: number | undefined;
  readonly partitions: readonly {
    readonly id: string;
    readonly block: number;
    readonly featureShape: readonly number[];
    readonly accuracy: number;
    readonly meanBytes: number;
    readonly tailFlops: number | undefined;
  }[];
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
  /** Quantize, tile, JPEG (tables omitted) and frame one feature; returns the wire bytes. */
  encodeFeatures(features: Float32Array, shape: readonly number[]): Uint8Array;
  /** A complete JPEG of the input image (cloud-only). */
  encodeImage(image: ImageInput, quality: number): Uint8Array;
  /** Decodes an uploaded image (JPEG, or binary PGM/PPM) to the given channel count. */
  decodeImage(bytes: Uint8Array, channels: 1 | 3): ImageInput;
}
