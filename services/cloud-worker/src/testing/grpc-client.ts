import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  HealthClient,
  InferenceServiceClient,
  type HealthCheckResponse,
  type InferReply,
  type InferRequest,
  type LoadReport,
} from '@bottlenet/protocol';

/** A promise-style client of one worker, for tests and benchmarks. */
export class WorkerClient {
  readonly inference: InferenceServiceClient;
  readonly health: HealthClient;

  constructor(address: string, options: Record<string, number> = {}) {
    this.inference = new InferenceServiceClient(address, credentials.createInsecure(), options);
    this.health = new HealthClient(address, credentials.createInsecure());
  }

  infer(
    request: Partial<InferRequest>,
    options: { deadlineMs?: number } = {},
  ): Promise<InferReply> {
    const req: InferRequest = {
      model: '',
      version: '',
      partitionId: '',
      payload: undefined,
      timeoutMs: 0,
      requestId: '',
      topK: 0,
      ...request,
    };
    const callOptions =
      options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    return new Promise((resolve, reject) => {
      this.inference.infer(
        req,
        new Metadata(),
        callOptions,
        (err: ServiceError | null, reply: InferReply) => (err ? reject(err) : resolve(reply)),
      );
    });
  }

  /** Resolves with the error of a call that must fail (rejects if it succeeds). */
  async inferError(
    request: Partial<InferRequest>,
    options: { deadlineMs?: number } = {},
  ): Promise<ServiceError> {
    try {
      await this.infer(request, options);
    } catch (e) {
      return e as ServiceError;
    }
    throw new Error('expected the call to fail');
  }

  getLoad(): Promise<LoadReport> {
    return new Promise((resolve, reject) => {
      this.inference.getLoad({}, (err: ServiceError | null, r: LoadReport) =>
        err ? reject(err) : resolve(r),
      );
    });
  }

  check(service = ''): Promise<HealthCheckResponse> {
    return new Promise((resolve, reject) => {
      this.health.check({ service }, (err: ServiceError | null, r: HealthCheckResponse) =>
        err ? reject(err) : resolve(r),
      );
    });
  }

  close(): void {
    this.inference.close();
    this.health.close();
  }
}
