export { loadFmnistTest, FMNIST_DIR } from './fmnist.js';
export { readSceneFile, ensureScenes } from './scenes.js';
export type { LabelledImages } from './scenes.js';
