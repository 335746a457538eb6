import type { ServiceError } from '@grpc/grpc-js';
import { loadModelRepository, type ModelRepository } from '@bottlenet/model-repo';
import { compileWorkerConfig } from '../config/index.js';
import { startWorker, type CloudWorker } from '../worker.js';
import type { WorkerOptions } from '../config/index.js';
import { AgentEncoder } from './agent-encoder.js';
import { fashionMnistTest } from './fashion-mnist.js';
import { WorkerClient } from './grpc-client.js';
import { TINY_MODEL_DIR } from './model-fixtures.js';

/** An in-process worker on free ports with a client connected to it. */
export interface TestWorker {
  readonly worker: CloudWorker;
  readonly client: WorkerClient;
  /** Closes the client and shuts the worker down (drain included). */
  stop(): Promise<void>;
}

/**
 * Starts a worker on `models/fmnist-tiny` (unless `options.models` says otherwise) on 127.0.0.1 port 0,
 * silent, 1 onnxruntime thread, 1 warm-up run, metrics off unless asked for; `options` override.
 */
export async function startTestWorker(options: WorkerOptions = {}): Promise<TestWorker> {
  const config = compileWorkerConfig({
    logLevel: 'silent',
    models: [TINY_MODEL_DIR],
    ...options,
    onnx: { intraOpNumThreads: 1, warmupRuns: 1, ...options.onnx },
    grpc: { host: '127.0.0.1', port: 0, ...options.grpc },
    metrics: { host: '127.0.0.1', port: 0, enabled: false, ...options.metrics },
  });
  const worker = await startWorker(config, { defaultMetrics: false });
  const client = new WorkerClient(`127.0.0.1:${worker.grpcPort}`);
  return {
    worker,
    client,
    stop: async () => {
      client.close();
      await worker.shutdown();
    },
  };
}

/** The first value of trailer `key` of a failed call. */
export function errorTrailer(e: ServiceError, key: string): string | undefined {
  const v = e.metadata?.get(key)[0];
  return v === undefined ? undefined : String(v);
}

/** The first `n` Fashion-MNIST test samples and their rb1 frames as the agent encodes them. */
export interface TinyFrames {
  readonly repo: ModelRepository;
  readonly frames: Uint8Array[];
  readonly labels: Uint8Array;
  readonly pixels: Uint8Array;
}

export async function tinyFrames(n: number, partitionId = 'rb1'): Promise<TinyFrames> {
  const repo = await loadModelRepository(TINY_MODEL_DIR);
  const data = fashionMnistTest(n);
  const enc = await AgentEncoder.open(repo, partitionId);
  const frames = await enc.encode(data.images.pixels, n);
  await enc.release();
  return { repo, frames, labels: data.labels, pixels: data.images.pixels };
}
