// Test helpers shared with benchmarks and other packages' tests: deterministic stand-in features
// and the shared-vector builder. Not part of the stable API.
export { mulberry32, syntheticFeature } from './synthetic-feature.js';
export { fuzzDecoders } from './fuzz.js';
export type { FuzzReport } from './fuzz.js';
export {
  VECTOR_SHAPES,
  VECTOR_BITS,
  VECTOR_QUALITY,
  vectorCase,
  vectorFile,
  vectorFileName,
} from './vectors.js';
