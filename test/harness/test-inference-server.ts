import { Server, ServerCredentials, status, type ServiceError, Metadata } from '@grpc/grpc-js';
import {
  InferenceServiceService,
  type InferenceServiceServer,
  type InferReply,
  type InferRequest,
  type LoadReport,
} from '@bottlenet/protocol';

/**
 * A TEST server for bottlenet.v1.InferenceService: it answers `Infer` with a canned reply after an
 * optional delay and `GetLoad` with a load report the test controls. It stands in for the real cloud
 * worker where a test is about routing and control, not inference; it runs no model.
 */
export interface TestInferenceServer {
  readonly workerId: string;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly port: number;
  /** Infer calls received (including failed ones). */
  readonly inferCalls: number;
  /** The last Infer request, as received. */
  readonly lastRequest: InferRequest | undefined;
  /** The gRPC deadline of the last Infer call, ms left at arrival (Infinity when none). */
  readonly lastDeadlineMs: number;
  /** Changes what GetLoad reports (merged over the current report). */
  setLoad(load: Partial<LoadReport>): void;
  /** Makes Infer fail with this gRPC status (and message) until called with undefined. */
  failInfer(code: status | undefined, message?: string): void;
  setInferDelayMs(ms: number): void;
  /** Graceful stop (waits for calls in progress). */
  stop(): Promise<void>;
  /** Drops every connection at once, as a crashed worker would. */
  kill(): void;
}

export interface TestInferenceServerOptions {
  workerId: string;
  /** @default 0 */
  inferDelayMs?: number;
  /** @default port 0 */
  port?: number;
  load?: Partial<LoadReport>;
  /** The model it claims to serve (partitions rb1, rb3 and cloud). @default "test-model" version "1" */
  model?: string;
  /** Delay before GetLoad answers (a worker too busy or too far to answer its poll in time). @default 0 */
  getLoadDelayMs?: number;
}

export async function startTestInferenceServer(
  options: TestInferenceServerOptions,
): Promise<TestInferenceServer> {
  let inferCalls = 0;
  let delay = options.inferDelayMs ?? 0;
  let failure: { code: status; message: string } | undefined;
  let lastRequest: InferRequest | undefined;
  let lastDeadlineMs = Infinity;
  let address = '';
  const model = options.model ?? 'test-model';
  const report = (): LoadReport => ({
    workerId: options.workerId,
    address,
    models: [{ name: model, version: '1', partitionIds: ['rb1', 'rb3', 'cloud'] }],
    partitions: [
      {
        model,
        version: '1',
        partitionId: 'rb1',
        queueDepth: 0,
        inFlight: 0,
        ewmaServiceMs: 2,
        ewmaBatchSize: 1,
        ewmaQueueMs: 0,
        maxBatchSize: 4,
        completedTotal: inferCalls,
      },
      {
        model,
        version: '1',
        partitionId: 'cloud',
        queueDepth: 0,
        inFlight: 0,
        ewmaServiceMs: 5,
        ewmaBatchSize: 1,
        ewmaQueueMs: 0,
        maxBatchSize: 4,
        completedTotal: 0,
      },
    ],
    inFlight: 0,
    capacity: 8,
    queueCapacity: 64,
    queueDepth: 0,
    timestampMs: Date.now(),
    ready: true,
    ...load,
  });
  let load: Partial<LoadReport> = options.load ?? {};
  const impl: InferenceServiceServer = {
    infer(call, callback) {
      inferCalls++;
      lastRequest = call.request;
      const deadline = call.getDeadline();
      lastDeadlineMs =
        deadline instanceof Date
          ? deadline.getTime() - Date.now()
          : Number(deadline) === Infinity
            ? Infinity
            : Number(deadline) - Date.now();
      const answer = (): void => {
        if (failure !== undefined) {
          const err: Partial<ServiceError> = {
            code: failure.code,
            details: failure.message,
            metadata: new Metadata(),
          };
          callback(err);
          return;
        }
        const r = report();
        const reply: InferReply = {
          requestId: call.request.requestId,
          topK: [{ classIndex: 3, label: 'three', score: 0.9 }],
          timings: {
            queueUs: 0,
            decodeUs: 0,
            computeUs: delay * 1000,
            totalUs: delay * 1000,
            batchSize: 1,
          },
          load: {
            workerId: r.workerId,
            queueDepth: r.queueDepth,
            inFlight: r.inFlight,
            capacity: r.capacity,
            queueCapacity: r.queueCapacity,
            partitions: r.partitions,
            timestampMs: r.timestampMs,
          },
          workerId: options.workerId,
          model: call.request.model,
          version: call.request.version || '1',
          partitionId: call.request.partitionId,
        };
        callback(null, reply);
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    },
    getLoad(_call, callback) {
      const ms = options.getLoadDelayMs ?? 0;
      if (ms > 0) setTimeout(() => callback(null, report()), ms);
      else callback(null, report());
    },
    inferStream(call) {
      call.emit('error', {
        code: status.UNIMPLEMENTED,
        details: 'test server: InferStream not implemented',
      });
    },
  };
  const server = new Server();
  server.addService(InferenceServiceService, impl);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `127.0.0.1:${String(options.port ?? 0)}`,
      ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    );
  });
  address = `127.0.0.1:${String(port)}`;
  return {
    workerId: options.workerId,
    address,
    port,
    get inferCalls() {
      return inferCalls;
    },
    get lastRequest() {
      return lastRequest;
    },
    get lastDeadlineMs() {
      return lastDeadlineMs;
    },
    setLoad(next) {
      load = { ...load, ...next };
    },
    failInfer(code, message = 'test server failure') {
      failure = code === undefined ? undefined : { code, message };
    },
    setInferDelayMs(ms) {
      delay = ms;
    },
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    kill: () => server.forceShutdown(),
  };
}
