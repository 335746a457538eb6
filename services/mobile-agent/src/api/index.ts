export { AgentMetrics } from './metrics.js';
export { createHttpApi } from './http-api.js';
export type { HttpApiOptions } from './http-api.js';
