export { MeshError, hasCode } from './mesh-error.js';
export type { MeshErrorOptions } from './mesh-error.js';
export { Code, codeToString, codeFromString, httpStatusOf } from './code.js';
export { fromNodeError } from './node-error.js';
