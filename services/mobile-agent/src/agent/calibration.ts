import type { Logger } from 'pino';
import { CLOUD_ONLY_ID, MOBILE_ONLY_ID } from '@bottlenet/protocol';
import type { AgentCodec, ImageInput, ModelRuntime } from '../runtime/types.js';
import { tailShare, type CandidateProfile } from './candidates.js';

/**
 * Runs every head (with the encoder) and the full network a few times at idle: TM per candidate.
 * Each is the fastest of 5 rounds over up to 3 samples after 2 warm-up runs: other processes on the host
 * only ever make a run slower, and the planner stretches TM by the measured load. D_j starts at the
 * manifest's `meanBytes` (cloud-only: the JPEG size of a sample), TC at the full network's device time
 * times the tail's FLOP share.
 */
export async function calibrate(
  runtime: ModelRuntime,
  codec: AgentCodec,
  samples: readonly ImageInput[],
  logger: Logger,
): Promise<Map<string, CandidateProfile>> {
  const model = runtime.model;
  const [c, h, w] = model.inputShape;
  const blank: ImageInput = {
    pixels: new Uint8Array(c * h * w).fill(128),
    width: w,
    height: h,
    channels: c === 1 ? 1 : 3,
  };
  const imgs: readonly ImageInput[] = samples.length > 0 ? samples.slice(0, 3) : [blank];
  const fastest = async (f: (img: ImageInput) => Promise<unknown>): Promise<number> => {
    for (let i = 0; i < 2; i++) await f(imgs[0]!); // warm-up: first runs allocate and are slow
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) {
      for (const img of imgs) {
        const s = performance.now();
        await f(img);
        ts.push(performance.now() - s);
      }
    }
    return Math.min(...ts);
  };
  const profiles = new Map<string, CandidateProfile>();
  const x = new Float32Array(runtime.inputLength);
  const fullMs = await fastest((img) => runtime.runFull(runtime.normalise(img, x)));
  profiles.set(MOBILE_ONLY_ID, { mobileMs: fullMs, bytes: 0, cloudMs: 0 });
  let jpegBytes = 0;
  const jpegMs = await fastest((img) => {
    jpegBytes = codec.encodeImage(img, 90).length;
    return Promise.resolve();
  });
  profiles.set(CLOUD_ONLY_ID, {
    mobileMs: jpegMs,
    bytes: samples.length > 0 ? jpegBytes : c * h * w * 0.25,
    cloudMs: fullMs,
  });
  for (const p of model.partitions) {
    const ms = await fastest(async (img) =>
      codec.encodeFeatures(await runtime.runHead(p.id, runtime.normalise(img, x)), p),
    );
    profiles.set(p.id, {
      mobileMs: ms,
      bytes: p.meanBytes,
      cloudMs: fullMs * tailShare(model, p.id),
    });
  }
  logger.info({ profiles: Object.fromEntries(profiles) }, 'calibrated candidate device times');
  return profiles;
}
