// Test and benchmark helpers (real model, real codec, real gRPC); not part of the service's API.
export { AgentEncoder } from './agent-encoder.js';
export { WorkerClient } from './grpc-client.js';
export {
  fashionMnistTest,
  readIdxImages,
  readIdxLabels,
  FASHION_MNIST_DIR,
} from './fashion-mnist.js';
export type { IdxImages } from './fashion-mnist.js';
export { TINY_MODEL_DIR, copyRepository } from './model-fixtures.js';
export {
  computeThreadRestarts,
  crashComputeThread,
  hangComputeThread,
} from './crash-compute-thread.js';
export { untilTrue } from './until-true.js';
export { startTestWorker, errorTrailer, tinyFrames } from './test-worker.js';
export type { TestWorker, TinyFrames } from './test-worker.js';
