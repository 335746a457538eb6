export { GatewayClient } from './gateway-client.js';
export type {
  GatewayClientOptions,
  Timed,
  InferCall,
  InferModel,
  InferAnswer,
  InferScore,
} from './gateway-client.js';
