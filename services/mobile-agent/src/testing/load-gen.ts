import { InferRequest } from '@bottlenet/protocol';
import { CLOUD_ONLY_ID } from '@bottlenet/protocol';
import type { AgentCodec, ImageInput, ModelRuntime } from '../runtime/types.js';

/** Synthetic cloud load: `concurrency` loops posting Infer requests for every partition and cloud-only. */
export interface LoadGenerator {
  readonly sent: number;
  readonly failed: number;
  stop(): Promise<void>;
}

/** Request bodies for every candidate that uses the cloud, built from real images with the real heads. */
export async function buildLoadBodies(
  runtime: ModelRuntime,
  codec: AgentCodec,
  image: ImageInput,
): Promise<Buffer[]> {
  const m = runtime.model;
  const bodies: Buffer[] = [];
  const base = { model: m.name, version: m.version, timeoutMs: 30000, requestId: '', topK: 1 };
  bodies.push(
    Buffer.from(
      InferRequest.encode({
        ...base,
        partitionId: CLOUD_ONLY_ID,
        payload: { $case: 'inputImage', inputImage: Buffer.from(codec.encodeImage(image, 90)) },
      }).finish(),
    ),
  );
  const x = runtime.normalise(image);
  for (const p of m.partitions) {
    const frame = Buffer.from(codec.encodeFeatures(await runtime.runHead(p.id, x), p));
    bodies.push(
      Buffer.from(
        InferRequest.encode({
          ...base,
          partitionId: p.id,
          payload: { $case: 'featureFrame', featureFrame: frame },
        }).finish(),
      ),
    );
  }
  return bodies;
}

/** Starts the loops against the gateway at once. */
export function startLoad(o: {
  gatewayUrl: string;
  apiKey: string;
  bodies: readonly Buffer[];
  concurrency: number;
}): LoadGenerator {
  let running = true;
  let sent = 0;
  let failed = 0;
  const loop = async (k: number): Promise<void> => {
    let i = k;
    while (running) {
      const body = o.bodies[i++ % o.bodies.length]!;
      try {
        const res = await fetch(`${o.gatewayUrl}/v1/infer`, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/x-protobuf',
            authorization: `Bearer ${o.apiKey}`,
          },
        });
        await res.arrayBuffer();
        if (!res.ok) failed++;
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 20));
      }
      sent++;
    }
  };
  const loops = Array.from({ length: o.concurrency }, (_, k) => loop(k));
  return {
    get sent() {
      return sent;
    },
    get failed() {
      return failed;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
