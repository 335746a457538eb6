// The request bodies the gateway's CPU tools (cpu-ab.ts, floor.ts) send against the stub worker.
import { InferRequest } from '@bottlenet/protocol';

/** An Infer body with a 300-byte feature frame for partition rb1 of `model` (the stub does not decode it). */
export function stubInferBody(model: string): Buffer {
  return Buffer.from(
    InferRequest.encode({
      model,
      version: '',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: Buffer.alloc(300, 7) },
      timeoutMs: 5000,
      requestId: '',
      topK: 5,
    }).finish(),
  );
}

/** A /v1/plan body for `model` from a 4G agent currently on rb1. */
export function planBody(model: string): string {
  return JSON.stringify({
    model,
    uplink: { bandwidthMbps: 5.85, network: '4g' },
    objective: 'OBJECTIVE_LATENCY',
    currentCandidateId: 'rb1',
  });
}

/** Request headers per route for the bearer key `key`. */
export function routeHeaders(key: string): {
  infer: Record<string, string>;
  plan: Record<string, string>;
} {
  return {
    infer: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf' },
    plan: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  };
}
