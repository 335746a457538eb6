export { staticDiscovery } from './static.js';
export { dnsDiscovery } from './dns.js';
export type { DnsDiscoveryOptions } from './dns.js';
export { registryDiscovery, registerWorker } from './registry.js';
export type { RegisterWorkerOptions } from './registry.js';
export type { Discovery, Target } from './target.js';
