export { GatewayClient } from './gateway-client.js';
export type { GatewayClientOptions, Timed } from './gateway-client.js';
