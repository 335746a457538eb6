// @bottlenet/gateway: the agents' control plane (plan, models) and the data-plane entry (infer) of
// the cloud tier.
export { createGateway } from './gateway.js';
export type { Gateway, CreateGatewayOptions } from './gateway.js';
export {
  compileGatewayConfig,
  loadGatewayConfig,
  GatewayConfigSchema,
  SCOPES,
} from './config/index.js';
export type { GatewayConfig, CompiledGatewayConfig, ApiKeyConfig, Scope } from './config/index.js';
export { createGatewayMetrics } from './metrics.js';
export type { GatewayMetrics } from './metrics.js';
export { Catalogue } from './catalogue/catalogue.js';

// Building blocks, for tests and tools.
export { WorkerPool } from './routing/worker-pool.js';
export type { WorkerEntry } from './routing/worker-pool.js';
export { GrpcUnaryChannel } from './routing/grpc-unary-channel.js';
export type { UnaryCallback, CancelFn } from './routing/grpc-unary-channel.js';
export { PlanService } from './plan/plan-service.js';
export { RateLimiter } from './http/rate-limiter.js';
export { ApiKeys } from './http/auth.js';
export { errorResponse } from './http/error-handler.js';
