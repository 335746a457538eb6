import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InferRequest,
  InferReply,
  LoadReport,
  PlanRequest,
  PlanReply,
  Objective,
  CandidateKind,
  CLOUD_ONLY_ID,
} from './index.js';

test('InferRequest round-trips through protobuf bytes with either payload', () => {
  const frame = InferRequest.fromPartial({
    model: 'fmnist-resnet-small',
    version: '1',
    partitionId: 'rb1',
    payload: { $case: 'featureFrame', featureFrame: Buffer.from([1, 2, 3]) },
    timeoutMs: 250,
    requestId: 'r-1',
    topK: 3,
  });
  const back = InferRequest.decode(InferRequest.encode(frame).finish());
  assert.deepEqual(back, frame);

  const image = InferRequest.fromPartial({
    partitionId: CLOUD_ONLY_ID,
    payload: { $case: 'inputImage', inputImage: Buffer.from([0xff, 0xd8]) },
  });
  const back2 = InferRequest.decode(InferRequest.encode(image).finish());
  assert.equal(back2.payload?.$case, 'inputImage');
  assert.equal(back2.topK, 0, 'unset top_k decodes as 0 (meaning the default)');
});

test('InferReply carries top-k, timings and the load hint', () => {
  const reply = InferReply.fromPartial({
    requestId: 'r-1',
    topK: [{ classIndex: 9, label: 'Ankle boot', score: 0.75 }],
    timings: { queueUs: 10, decodeUs: 20, computeUs: 300, totalUs: 340, batchSize: 4 },
    load: {
      workerId: 'w1',
      queueDepth: 2,
      inFlight: 4,
      capacity: 32,
      queueCapacity: 256,
      partitions: [
        {
          model: 'm',
          version: '1',
          partitionId: 'rb1',
          queueDepth: 2,
          ewmaServiceMs: 1.5,
          ewmaBatchSize: 3.2,
        },
      ],
      timestampMs: 1_780_000_000_000,
    },
    workerId: 'w1',
  });
  const back = InferReply.decode(InferReply.encode(reply).finish());
  assert.deepEqual(back, reply);
  assert.equal(back.load?.timestampMs, 1_780_000_000_000, '64-bit fields are plain numbers');
});

test('LoadReport keeps every partition', () => {
  const r = LoadReport.fromPartial({
    workerId: 'w1',
    address: '10.0.0.1:50051',
    models: [{ name: 'm', version: '1', partitionIds: ['rb1', 'rb2', 'cloud'] }],
    partitions: [{ partitionId: 'rb1', completedTotal: 2 ** 40 }],
    ready: true,
  });
  const back = LoadReport.decode(LoadReport.encode(r).finish());
  assert.deepEqual(back, r);
});

test('control-plane messages use proto3 JSON (camelCase, enums by name)', () => {
  const req = PlanRequest.fromJSON({
    agentId: 'a1',
    model: 'm',
    uplink: { bandwidthMbps: 1.1, rttMs: 0, network: '3g' },
    mobile: { load: 0.2, profiles: [{ candidateId: 'rb1', mobileMs: 3.5, powerMw: 2000 }] },
    objective: 'OBJECTIVE_ENERGY',
  });
  assert.equal(req.objective, Objective.OBJECTIVE_ENERGY);
  assert.equal(req.uplink?.alphaMwPerMbps, undefined, 'unset optional override stays undefined');
  assert.equal(req.mobile?.profiles[0]?.mobileMs, 3.5);

  const reply = PlanReply.toJSON(
    PlanReply.fromPartial({
      model: 'm',
      version: '1',
      objective: Objective.OBJECTIVE_LATENCY,
      cloud: {
        loadLevel: 1.4,
        stale: false,
        partitions: [{ partitionId: 'rb1', expectedCloudMs: 2.5 }],
      },
      chosen: { candidateId: 'rb1', kind: CandidateKind.CANDIDATE_KIND_SPLIT, latencyMs: 12 },
      switch: true,
    }),
  ) as Record<string, unknown>;
  assert.equal(reply.objective, 'OBJECTIVE_LATENCY');
  assert.deepEqual(reply.chosen, {
    candidateId: 'rb1',
    kind: 'CANDIDATE_KIND_SPLIT',
    latencyMs: 12,
  });
  assert.equal(reply.switch, true);
});
