export { AgentMetrics } from './metrics.js';
