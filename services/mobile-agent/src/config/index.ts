export { AgentConfigSchema } from './schema.js';
export type { AgentConfig } from './schema.js';
export { compileAgentConfig } from './compile-config.js';
export type { CompiledAgentConfig } from './compile-config.js';
export { readAgentEnv, applyEnv } from './env.js';
export type { AgentEnv } from './env.js';
