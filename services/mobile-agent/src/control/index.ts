export { SwitchingController } from './switching-controller.js';
export type { Decision, Scored, SwitchingOptions } from './switching-controller.js';
export { Backoff } from './backoff.js';
export { MobileLoadMeter } from './mobile-load.js';
