export { compileLoadMonitorConfig } from './compile.js';
export { loadLoadMonitorConfig } from './load.js';
export type { CompiledLoadMonitorConfig } from './compile.js';
export { LoadMonitorConfigSchema, DnsTargetSchema } from './schema.js';
export type { LoadMonitorConfig, DnsTarget } from './schema.js';
