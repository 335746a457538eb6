export { compileGatewayConfig } from './compile.js';
export type { CompiledGatewayConfig } from './compile.js';
export { loadGatewayConfig } from './load.js';
export { GatewayConfigSchema, ApiKeySchema, SCOPES } from './schema.js';
export type { GatewayConfig, ApiKeyConfig, Scope } from './schema.js';
