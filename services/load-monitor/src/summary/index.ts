export { computeSummary, summaryChanged } from './compute.js';
export type { PolledWorker, SummaryContext } from './compute.js';
export { parseCloudSummary } from './parse.js';
export { CloudSummarySchema, WorkerSummarySchema, PartitionSummarySchema } from './schema.js';
export type { CloudSummary, WorkerSummary, PartitionSummary } from './schema.js';
