export { loadFmnistTest, FMNIST_DIR } from './fmnist.js';
export { readSceneFile, ensureScenes } from './scenes.js';
export type { LabelledImages } from './scenes.js';
export { startMesh } from './mesh.js';
export type { Mesh, MeshOptions } from './mesh.js';
export { spawnProc, freePort } from './proc.js';
export type { Proc } from './proc.js';
export { buildLoadBodies, startLoad } from './load-gen.js';
export type { LoadGenerator } from './load-gen.js';
