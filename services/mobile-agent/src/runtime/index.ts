export { OnnxModelRuntime } from './onnx-runtime.js';
export type { OnnxRuntimeOptions } from './onnx-runtime.js';
export { SlowedRuntime } from './slowed-runtime.js';
export { createAgentCodec } from './codec-adapter.js';
export { decodePnm, encodePnm, isPnm } from './pnm.js';
export { topK } from './top-k.js';
export type { ClassScore } from './top-k.js';
export type { AgentCodec, ImageInput, ModelRuntime, ModelView } from './types.js';
