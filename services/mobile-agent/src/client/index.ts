export { GatewayClient } from './gateway-client.js';
export type { GatewayClientOptions, Timed, InferCall } from './gateway-client.js';
