import {
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  INFERENCE_SERVICE_NAME,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '@bottlenet/protocol';

/**
 * grpc.health.v1 for the worker: the overall service ("") and `bottlenet.v1.InferenceService` report
 * SERVING only while every hosted model is loaded and warm, every compute thread is up (none restarting)
 * and the worker is not draining; anything else is NOT_SERVING. Unknown service names: NOT_FOUND from Check, SERVICE_UNKNOWN from Watch.
 */
export class HealthState {
  private serving = false;
  private readonly watchers = new Set<
    ServerWritableStream<HealthCheckRequest, HealthCheckResponse>
  >();
  static readonly SERVICES: ReadonlySet<string> = new Set(['', INFERENCE_SERVICE_NAME]);

  get isServing(): boolean {
    return this.serving;
  }

  set(serving: boolean): void {
    if (serving === this.serving) return;
    this.serving = serving;
    for (const w of this.watchers) {
      if (HealthState.SERVICES.has(w.request.service)) w.write({ status: this.status() });
    }
  }

  /** Ends every Watch stream (on shutdown, so the server can close). */
  endWatches(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  implementation(): HealthServer {
    return {
      check: (
        call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: sendUnaryData<HealthCheckResponse>,
      ) => {
        if (!HealthState.SERVICES.has(call.request.service)) {
          callback({
            code: GrpcStatus.NOT_FOUND,
            details: `unknown service "${call.request.service}"`,
          });
          return;
        }
        callback(null, { status: this.status() });
      },
      watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        const known = HealthState.SERVICES.has(call.request.service);
        call.write({ status: known ? this.status() : ServingStatus.SERVICE_UNKNOWN });
        this.watchers.add(call);
        const forget = (): void => {
          this.watchers.delete(call);
        };
        call.on('cancelled', forget);
        call.on('close', forget);
        call.on('error', forget);
      },
    };
  }

  private status(): ServingStatus {
    return this.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }
}
