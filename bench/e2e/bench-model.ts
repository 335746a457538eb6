// What the e2e benches share: the model repository they measure (E2E_MODEL, else the paper-shaped one,
// else the 28x28 one) and whether device and cloud get separate CPUs (E2E_CPU_SPLIT).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const preferredModels = ['scenes-resnet50-slim', 'fmnist-resnet-small'] as const;

export function benchModel(): { name: string; dir: string } {
  const name =
    process.env['E2E_MODEL'] ??
    preferredModels.find((m) => existsSync(join(repoRoot, 'models', m, 'manifest.json')));
  if (name === undefined)
    throw new Error(`none of models/{${preferredModels.join(',')}} is present`);
  return { name, dir: join(repoRoot, 'models', name) };
}

/** `splitCpus`'s reason to keep device and cloud on the same CPUs, when `E2E_CPU_SPLIT=0` asks for it. */
export const cpuShareReason = process.env['E2E_CPU_SPLIT'] === '0' ? 'E2E_CPU_SPLIT=0' : undefined;
