// @bottlenet/model-repo: the model repository (manifest + ONNX files) shared by the cloud worker and the
// mobile agent: schema and validation, checksums, onnxruntime sessions, input normalisation, top-k.

export { loadModelRepository, MANIFEST_FILE } from './model-repository.js';
export type {
  ModelRepository,
  LoadModelRepositoryOptions,
  SessionTarget,
} from './model-repository.js';
export { findModelRepositories, loadModelRepositories } from './find-repositories.js';
export { openSession, describeTarget, TENSOR_NAMES } from './open-session.js';
export type { OpenSessionOptions, OpenedSession } from './open-session.js';
export { normalizeInput } from './normalize-input.js';
export type { PixelImage, NormalizeOptions } from './normalize-input.js';
export { topK } from './top-k.js';
export type { ClassScore, TopKOptions } from './top-k.js';
export { parseManifest, validateManifest } from './parse-manifest.js';

// Schema, for tools that validate or generate manifests (e.g. a JSON Schema export).
export {
  ManifestSchema,
  PartitionSpecSchema,
  FileRefSchema,
  InputSpecSchema,
  CodecSpecSchema,
  TrainingInfoSchema,
  MANIFEST_SCHEMA_VERSION,
} from './manifest-schema.js';
export type {
  Manifest,
  PartitionSpec,
  FileRef,
  InputSpec,
  CodecSpec,
  TrainingInfo,
} from './manifest-schema.js';
export { sha256File } from './sha256-file.js';
export { partitionCodec } from './partition-codec.js';
