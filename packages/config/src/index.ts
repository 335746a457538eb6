export { compileValidator, deepFreeze } from './compile-validator.js';
