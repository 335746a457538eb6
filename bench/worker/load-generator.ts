// The bench's load: closed-loop saturation (many concurrent unary Infer calls) and one call at a time.
import { WorkerClient } from '@bottlenet/cloud-worker/testing';
import type { InferReply, InferRequest } from '@bottlenet/protocol';
import { cpuNow, type CpuSample } from './cpu.js';
import { H2InferClient, frameRequest } from './h2-client.js';
import { median } from './stats.js';
import { settings } from './settings.js';
import type { WorkerProcess } from './worker-process.js';

export interface Saturation {
  throughput: number;
  /** CPU of the worker process and of this (client) process in the window, per request, microseconds. */
  workerCpuUsPerReq: number;
  /** CPU of the worker's JS thread alone (gRPC, decode, batching, replies), per request, microseconds. */
  jsThreadCpuUsPerReq: number;
  clientCpuUsPerReq: number;
  /** Session-run time per request (batch compute / batch size), microseconds. */
  computeUsPerReq: number;
  /** Session runs of each batch size during the window. */
  batches: Map<number, number>;
}

/**
 * Closed-loop load: `settings.concurrency` callers on `settings.channels` connections (pre-serialised
 * calls over node:http2, or grpc-js clients); counts the measured window only, after a warm-up.
 */
export async function saturate(
  worker: WorkerProcess,
  model: string,
  partitionId: string,
  frames: readonly Uint8Array[],
): Promise<Saturation> {
  const { channels, concurrency, seconds, warmSeconds } = settings;
  const address = `127.0.0.1:${worker.port}`;
  const requests: InferRequest[] = frames.map((f) => ({
    model,
    version: '',
    partitionId,
    topK: 1,
    timeoutMs: 0,
    requestId: '',
    payload: { $case: 'featureFrame', featureFrame: Buffer.from(f) },
  }));
  let call: (i: number, channel: number) => Promise<InferReply>;
  let close: () => void;
  if (settings.client === 'h2') {
    const framed = requests.map(frameRequest);
    const clients = Array.from({ length: channels }, () => new H2InferClient(address));
    call = (i, ch) => clients[ch]!.infer(framed[i % framed.length]!);
    close = () => clients.forEach((c) => c.close());
  } else {
    const clients = Array.from(
      { length: channels },
      () => new WorkerClient(address, { 'grpc.use_local_subchannel_pool': 1 }),
    );
    call = (i, ch) => clients[ch]!.infer(requests[i % requests.length]!);
    close = () => clients.forEach((c) => c.close());
  }
  const t0 = performance.now();
  const measureFrom = t0 + warmSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  let done = 0;
  let next = 0;
  let computeUs = 0;
  const sizeCounts = new Map<number, number>();
  let cpu0: CpuSample | undefined;
  let cpu1: CpuSample | undefined;
  const pid = worker.child.pid!;
  const marks = [
    setTimeout(() => (cpu0 = cpuNow(pid)), measureFrom - t0),
    setTimeout(() => (cpu1 = cpuNow(pid)), end - t0),
  ];
  const loop = async (ch: number): Promise<void> => {
    while (performance.now() < end) {
      const r = await call(next++, ch);
      const now = performance.now();
      if (now >= measureFrom && now < end) {
        done++;
        const b = r.timings!.batchSize;
        computeUs += r.timings!.computeUs / b;
        sizeCounts.set(b, (sizeCounts.get(b) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i % channels)));
  close();
  for (const t of marks) clearTimeout(t);
  cpu1 ??= cpuNow(pid);
  cpu0 ??= cpu1;
  // A batch of size b answers b requests.
  const batches = new Map([...sizeCounts].map(([b, n]) => [b, Math.max(1, Math.round(n / b))]));
  return {
    throughput: done / seconds,
    batches,
    workerCpuUsPerReq: ((cpu1.worker - cpu0.worker) * 1e6) / done,
    jsThreadCpuUsPerReq: ((cpu1.jsThread - cpu0.jsThread) * 1e6) / done,
    clientCpuUsPerReq: ((cpu1.client - cpu0.client) * 1e6) / done,
    computeUsPerReq: computeUs / done,
  };
}

export interface LowLoad {
  addedP50Ms: number;
  rttP50Ms: number;
  computeP50Ms: number;
}

/** One request at a time (grpc-js client): the worker's own time per request besides the session run. */
export async function lowLoad(
  port: number,
  model: string,
  partitionId: string,
  frames: readonly Uint8Array[],
): Promise<LowLoad> {
  const c = new WorkerClient(`127.0.0.1:${port}`);
  const added: number[] = [];
  const rtt: number[] = [];
  const compute: number[] = [];
  for (let i = 0; i < settings.lowLoadCalls; i++) {
    const t0 = performance.now();
    const r = await c.infer({
      model,
      partitionId,
      topK: 1,
      payload: { $case: 'featureFrame', featureFrame: Buffer.from(frames[i % frames.length]!) },
    });
    const t1 = performance.now();
    if (i < settings.lowLoadWarmup) continue;
    added.push((r.timings!.totalUs - r.timings!.computeUs) / 1000);
    compute.push(r.timings!.computeUs / 1000);
    rtt.push(t1 - t0);
  }
  c.close();
  return { addedP50Ms: median(added), rttP50Ms: median(rtt), computeP50Ms: median(compute) };
}
