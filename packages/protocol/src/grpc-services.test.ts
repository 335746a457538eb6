// The generated grpc-js service definitions work over a real socket (server on port 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, ServerCredentials, credentials, status, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import {
  InferenceServiceService,
  InferenceServiceClient,
  HealthService,
  HealthClient,
  HealthCheckResponse_ServingStatus,
  INFERENCE_SERVICE_NAME,
  RETRY_AFTER_METADATA_KEY,
} from './index.js';
import type {
  InferenceServiceServer,
  HealthServer,
  InferReply,
  HealthCheckResponse,
} from './index.js';

test('Infer, GetLoad and health Check over loopback gRPC', async (t) => {
  const server = new Server();
  const impl: InferenceServiceServer = {
    infer(call, cb) {
      if (call.request.partitionId === 'nope') {
        const md = new Metadata();
        md.set(RETRY_AFTER_METADATA_KEY, '20');
        cb({ code: status.RESOURCE_EXHAUSTED, details: 'queue full', metadata: md });
        return;
      }
      cb(null, {
        requestId: call.request.requestId,
        topK: [{ classIndex: 1, label: 'Trouser', score: 0.9 }],
        workerId: 'w',
        model: call.request.model,
        version: '1',
        partitionId: call.request.partitionId,
      });
    },
    getLoad(_call, cb) {
      cb(null, {
        workerId: 'w',
        address: '',
        models: [],
        partitions: [],
        inFlight: 0,
        capacity: 8,
        queueCapacity: 64,
        queueDepth: 0,
        timestampMs: Date.now(),
        ready: true,
      });
    },
    inferStream(call) {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
    },
  };
  const health: HealthServer = {
    check(call, cb) {
      if (call.request.service === INFERENCE_SERVICE_NAME || call.request.service === '')
        cb(null, { status: HealthCheckResponse_ServingStatus.SERVING });
      else cb({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
    },
    watch(call) {
      call.write({ status: HealthCheckResponse_ServingStatus.SERVING });
      call.end();
    },
  };
  server.addService(InferenceServiceService, impl);
  server.addService(HealthService, health);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  t.after(() => server.forceShutdown());

  const client = new InferenceServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const hc = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
  t.after(() => {
    client.close();
    hc.close();
  });

  const reply = await new Promise<InferReply>((res, rej) =>
    client.infer(
      {
        model: 'm',
        version: '',
        partitionId: 'rb1',
        payload: { $case: 'featureFrame', featureFrame: Buffer.alloc(4) },
        timeoutMs: 0,
        requestId: 'x',
        topK: 1,
      },
      (e, r) => (e ? rej(e) : res(r)),
    ),
  );
  assert.equal(reply.requestId, 'x');
  assert.equal(reply.topK[0]?.label, 'Trouser');

  const err = await new Promise<ServiceError>((res) =>
    client.infer(
      { model: 'm', version: '', partitionId: 'nope', timeoutMs: 0, requestId: 'y', topK: 0 },
      (e) => res(e!),
    ),
  );
  assert.equal(err.code, status.RESOURCE_EXHAUSTED);
  assert.deepEqual(err.metadata.get(RETRY_AFTER_METADATA_KEY), ['20']);

  const h = await new Promise<HealthCheckResponse>((res, rej) =>
    hc.check({ service: INFERENCE_SERVICE_NAME }, (e, r) => (e ? rej(e) : res(r))),
  );
  assert.equal(h.status, HealthCheckResponse_ServingStatus.SERVING);
  const missing = await new Promise<ServiceError>((res) =>
    hc.check({ service: 'other' }, (e) => res(e!)),
  );
  assert.equal(missing.code, status.NOT_FOUND);
});
