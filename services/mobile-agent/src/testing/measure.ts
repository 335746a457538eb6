import type { ClassifyResult, MobileAgent } from '../agent/agent.js';
import type { ImageInput } from '../runtime/types.js';

/** What one candidate did over a set of images. */
export interface CandidateStats {
  readonly candidate: string;
  readonly n: number;
  readonly latencyP50Ms: number;
  readonly latencyMeanMs: number;
  readonly energyMeanMj: number;
  readonly bytesMean: number;
  readonly accuracy: number;
  readonly overheadP50Ms: number;
  readonly fallbacks: number;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

export interface MeasureOptions {
  /**
   * Idle time between one answer and the next request, as between a camera's frames. A core that idled
   * for a few milliseconds runs the next inference at about half speed (docs/mobile-agent.md), and a split
   * request always idles while it waits on the network, so back-to-back requests would measure mobile-only
   * hot and every split cold. @default 0
   */
  readonly idleGapMs?: number;
}

/** Classifies `images` one at a time on `candidate` (forced) and summarises. */
export async function measureCandidate(
  agent: MobileAgent,
  candidate: string,
  images: readonly ImageInput[],
  labels: readonly number[],
  options: MeasureOptions = {},
): Promise<CandidateStats & { results: ClassifyResult[] }> {
  const results: ClassifyResult[] = [];
  let correct = 0;
  const gap = options.idleGapMs ?? 0;
  for (const [i, img] of images.entries()) {
    if (i > 0 && gap > 0) await new Promise((r) => setTimeout(r, gap));
    const r = await agent.classify(img, { force: candidate, topK: 1 });
    results.push(r);
    if (r.top[0]?.classIndex === labels[i]) correct++;
  }
  const ok = results.filter((r) => r.answeredBy !== 'fallback');
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    candidate,
    n: results.length,
    latencyP50Ms: percentile(
      results.map((r) => r.latencyMs),
      0.5,
    ),
    latencyMeanMs: mean(results.map((r) => r.latencyMs)),
    energyMeanMj: mean(results.map((r) => r.energyMj)),
    bytesMean: mean(results.map((r) => r.bytesSent)),
    accuracy: correct / Math.max(1, results.length),
    overheadP50Ms: percentile(
      ok.map((r) => r.overheadMs),
      0.5,
    ),
    fallbacks: results.length - ok.length,
    results,
  };
}
