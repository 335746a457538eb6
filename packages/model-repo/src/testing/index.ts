// @bottlenet/model-repo/testing: fixtures for tests of anything that reads model repositories.
export { writeTinyRepository } from './tiny-repository.js';
export type { TinyRepositoryOptions } from './tiny-repository.js';
export { encodeOnnxModel } from './onnx-model.js';
export type {
  OnnxGraph,
  OnnxNode,
  OnnxValue,
  OnnxInitializer,
  OnnxAttribute,
} from './onnx-model.js';
