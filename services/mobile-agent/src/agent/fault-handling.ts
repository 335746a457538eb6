import type { Logger } from 'pino';
import { MeshError } from '@bottlenet/errors';
import type { AgentMetrics } from '../api/metrics.js';

/**
 * What happens when the cloud fails a request: the request is answered by mobile-only (the pipeline
 * does that), the failure is logged and counted by reason (`fallbacks_total{reason}`), and a re-plan
 * is asked for. Nothing is retried on the cloud: the fallback is cheaper than a retry.
 */
export class FaultHandler {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: AgentMetrics,
    private readonly replan: (reason: string) => void,
  ) {}

  /** Records a failed cloud request and returns the fallback reason (the error's type, else its code). */
  cloudFailed(err: unknown, requestId: string, candidate: string): string {
    const e = MeshError.from(err);
    const reason = e.type ?? codeName(e);
    this.logger.warn(
      { requestId, candidate, err: e.message },
      'cloud request failed; answering with mobile-only',
    );
    this.metrics.fallbacks.inc({ reason });
    this.replan('failed request');
    return reason;
  }
}

function codeName(e: MeshError): string {
  return e.message.slice(1, e.message.indexOf(']'));
}
