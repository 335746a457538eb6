// A stub InferenceService for the gateway's CPU tools (cpu-ab.ts, floor.ts): grpc-js in the calling
// process, a fixed reply with a load hint (no model runs), and a GetLoad report for the load monitor.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  InferenceServiceService,
  type InferenceServiceServer,
  type LoadReport,
} from '@bottlenet/protocol';

export const STUB_MODEL = 'fmnist-tiny';
const MODEL = STUB_MODEL;

/** Starts the stub on a free loopback port. */
export async function stubWorker(): Promise<{ address: string; server: Server }> {
  let address = '';
  const report = (): LoadReport => ({
    workerId: 'stub',
    address,
    models: [{ name: MODEL, version: '1', partitionIds: ['rb1', 'rb2', 'rb3', 'cloud'] }],
    partitions: [
      {
        model: MODEL,
        version: '1',
        partitionId: 'rb1',
        queueDepth: 0,
        inFlight: 0,
        ewmaServiceMs: 2,
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
  });
  const impl: InferenceServiceServer = {
    infer(call, cb) {
      const r = report();
      cb(null, {
        requestId: call.request.requestId,
        topK: [
          { classIndex: 3, label: 'three', score: 0.9 },
          { classIndex: 1, label: 'one', score: 0.05 },
        ],
        timings: { queueUs: 10, decodeUs: 50, computeUs: 400, totalUs: 470, batchSize: 1 },
        load: {
          workerId: r.workerId,
          queueDepth: 0,
          inFlight: 0,
          capacity: 8,
          queueCapacity: 64,
          partitions: r.partitions,
          timestampMs: r.timestampMs,
        },
        workerId: 'stub',
        model: MODEL,
        version: '1',
        partitionId: call.request.partitionId,
      });
    },
    getLoad(_call, cb) {
      cb(null, report());
    },
    inferStream(call) {
      call.end();
    },
  };
  const server = new Server();
  server.addService(InferenceServiceService, impl);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  address = `127.0.0.1:${String(port)}`;
  return { address, server };
}
