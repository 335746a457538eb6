export { ComputePool } from './compute-pool.js';
export { ComputeThread } from './compute-thread.js';
export type { ThreadRunResult } from './compute-thread.js';
export { InlineRunner, ThreadRunner } from './tail-runner.js';
export type { RunResult, TailRunner } from './tail-runner.js';
