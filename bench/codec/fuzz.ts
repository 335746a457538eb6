/**
 * pnpm bench:fuzz-codec — 100,000 random and mutated frames and JPEG images through the decoders:
 * no crash, no hang, only typed errors. Ends with
 * `fuzz-codec: inputs=<n> accepted=<n> rejected=<n> types=<n> slowest_ms=<x>`.
 */
import { fuzzDecoders } from '@bottlenet/bottleneck-codec/testing';

const count = Number(process.env.FUZZ_INPUTS ?? 100_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const t0 = performance.now();
const r = fuzzDecoders(count, seed);
const rejected = r.inputs - r.accepted;
process.stdout.write(
  `fuzz-codec: seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(1)} s; rejections by type:\n`,
);
for (const [type, n] of Object.entries(r.byType).sort((a, b) => b[1] - a[1]))
  process.stdout.write(`  ${type} ${n}\n`);
const ok = r.inputs === count && r.slowestMs < 1000;
process.stdout.write(
  `${ok ? 'PASS' : 'FAIL'} every input decoded or gave a typed error; slowest ${r.slowestMs.toFixed(1)} ms (< 1000)\n`,
);
process.stdout.write(
  `fuzz-codec: inputs=${r.inputs} accepted=${r.accepted} rejected=${rejected} types=${Object.keys(r.byType).length} slowest_ms=${r.slowestMs.toFixed(1)}\n`,
);
process.exitCode = ok ? 0 : 1;
