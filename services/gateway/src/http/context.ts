import type { CompiledGatewayConfig } from '../config/compile.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { GatewayMetrics } from '../metrics.js';
import type { PlanService } from '../plan/plan-service.js';
import type { WorkerPool } from '../routing/worker-pool.js';
import type { CloudViewStore } from '../view/cloud-view-store.js';

/** What the routes share. */
export interface GatewayContext {
  readonly config: CompiledGatewayConfig;
  readonly metrics: GatewayMetrics;
  readonly view: CloudViewStore;
  readonly pool: WorkerPool;
  readonly catalogue: Catalogue;
  readonly plan: PlanService;
  /** True after SIGTERM: /readyz answers 503 while requests in progress finish. */
  draining: boolean;
}
