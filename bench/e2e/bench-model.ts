// The model repository the e2e benches measure: E2E_MODEL, else the paper-shaped one, else the 28x28 one.
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
