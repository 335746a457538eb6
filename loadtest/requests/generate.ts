// Writes real InferRequests (protobuf for HTTP, proto3 JSON for gRPC) for every candidate of a model
// repository, for the k6 scripts:
//   node --conditions=source --import tsx loadtest/requests/generate.ts --model models/fmnist-tiny --out loadtest/results/requests
import { Command } from 'commander';
import { generateRequests } from './requests.js';

const cmd = new Command('generate-requests')
  .requiredOption('--model <dir>', 'model repository folder')
  .requiredOption('--out <dir>', 'output folder')
  .option('--timeout-ms <n>', 'budget written into each request', '5000')
  .option('--per-candidate <n>', 'images per candidate', '4')
  .parse();
const o = cmd.opts<{ model: string; out: string; timeoutMs: string; perCandidate: string }>();
const files = await generateRequests({
  modelDir: o.model,
  outDir: o.out,
  timeoutMs: Number(o.timeoutMs),
  perCandidate: Number(o.perCandidate),
});
process.stdout.write(
  `wrote ${String(files.length)} requests to ${o.out} (${[...new Set(files.map((f) => f.candidate))].join(', ')})\n`,
);
