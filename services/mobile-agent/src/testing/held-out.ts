import type { ModelView } from '../runtime/types.js';
import { loadFmnistTest } from './fmnist.js';
import { ensureScenes, type LabelledImages } from './scenes.js';

/**
 * Held-out images for a model, the ones its manifest's accuracy was measured on: Fashion-MNIST's test
 * set for 1x28x28 models, training's seeded test scenes for 3xSxS models.
 */
export function loadHeldOut(
  model: ModelView,
  repoRoot: string,
  count: number,
): LabelledImages & { source: string } {
  const [c, h, w] = model.inputShape;
  if (c === 1 && h === 28 && w === 28)
    return { ...loadFmnistTest(count), source: 'Fashion-MNIST test set' };
  if (c === 3 && h === w)
    return {
      ...ensureScenes({ repoRoot, count, size: h }),
      source: `held-out test scenes ${h}x${w} (seed 0)`,
    };
  throw new Error(`no held-out data for input ${c}x${h}x${w}`);
}
