import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOUD_ONLY_ID, InferRequest } from '@bottlenet/protocol';
import { OnnxModelRuntime, createAgentCodec } from '@bottlenet/mobile-agent';
import { testImages } from '../lib/images.js';

/** One generated request: the candidate it targets and where its two encodings were written. */
export interface RequestFile {
  readonly candidate: string;
  /** The InferRequest as protobuf bytes: the body of the gateway's `POST /v1/infer`. */
  readonly bin: string;
  /** The same request in proto3 JSON (bytes as base64): what k6's gRPC client invokes `Infer` with. */
  readonly json: string;
  readonly bytes: number;
}

export interface GenerateOptions {
  /** A model repository folder (holding manifest.json). */
  readonly modelDir: string;
  readonly outDir: string;
  /** Budget written into every request. @default 5000 */
  readonly timeoutMs?: number;
  /** Images per candidate (different test images). @default 4 */
  readonly perCandidate?: number;
}

/**
 * Writes real requests for cloud-only and every partition of a model: the input image as JPEG q90
 * (cloud-only) or the head's features through the agent's codec (a split partition), exactly as an
 * agent sends them. Nothing binary is committed; the k6 scripts read these files.
 */
export async function generateRequests(o: GenerateOptions): Promise<RequestFile[]> {
  const rt = await OnnxModelRuntime.open(o.modelDir);
  try {
    const codec = createAgentCodec();
    const m = rt.model;
    const n = o.perCandidate ?? 4;
    const images = testImages(m.inputShape, n);
    mkdirSync(o.outDir, { recursive: true });
    const out: RequestFile[] = [];
    const write = (candidate: string, k: number, req: InferRequest): void => {
      const bytes = InferRequest.encode(req).finish();
      const base = join(o.outDir, `${candidate}-${String(k)}`);
      writeFileSync(`${base}.bin`, bytes);
      writeFileSync(`${base}.json`, JSON.stringify(InferRequest.toJSON(req)));
      out.push({ candidate, bin: `${base}.bin`, json: `${base}.json`, bytes: bytes.length });
    };
    const common = {
      model: m.name,
      version: m.version,
      timeoutMs: o.timeoutMs ?? 5000,
      requestId: '',
      topK: 1,
    };
    for (const [k, img] of images.entries()) {
      write(CLOUD_ONLY_ID, k, {
        ...common,
        partitionId: CLOUD_ONLY_ID,
        payload: { $case: 'inputImage', inputImage: Buffer.from(codec.encodeImage(img, 90)) },
      });
      const x = rt.normalise(img);
      for (const p of m.partitions) {
        const frame = Buffer.from(codec.encodeFeatures(await rt.runHead(p.id, x), p));
        write(p.id, k, {
          ...common,
          partitionId: p.id,
          payload: { $case: 'featureFrame', featureFrame: frame },
        });
      }
    }
    writeFileSync(
      join(o.outDir, 'index.json'),
      JSON.stringify({ model: m.name, version: m.version, requests: out }, null, 2),
    );
    return out;
  } finally {
    await rt.close();
  }
}
