import { Code, MeshError } from '@bottlenet/errors';
import { compileValidator } from '@bottlenet/config';
import { GatewayConfigSchema, type GatewayConfig } from './schema.js';

export type CompiledGatewayConfig = Readonly<GatewayConfig>;

const validate = compileValidator(GatewayConfigSchema, 'config', 'bad_config');

/** Applies defaults, validates (the message names the field) and deep-freezes a gateway configuration. */
export function compileGatewayConfig(input: unknown): CompiledGatewayConfig {
  const c = validate(input);
  const names = new Set<string>();
  const keys = new Set<string>();
  c.apiKeys.forEach((k, i) => {
    if (names.has(k.name))
      throw new MeshError(
        Code.InvalidArgument,
        `config field /apiKeys/${String(i)}/name "${k.name}" appears twice`,
        { type: 'bad_config' },
      );
    if (keys.has(k.key))
      throw new MeshError(
        Code.InvalidArgument,
        `config field /apiKeys/${String(i)}/key repeats another key`,
        { type: 'bad_config' },
      );
    names.add(k.name);
    keys.add(k.key);
  });
  if (c.infer.maxTimeoutMs < c.infer.defaultTimeoutMs) {
    throw new MeshError(
      Code.InvalidArgument,
      'config field /infer/maxTimeoutMs must be >= /infer/defaultTimeoutMs',
      { type: 'bad_config' },
    );
  }
  if (c.redis.reconnectMaxMs < c.redis.reconnectBaseMs) {
    throw new MeshError(
      Code.InvalidArgument,
      'config field /redis/reconnectMaxMs must be >= /redis/reconnectBaseMs',
      { type: 'bad_config' },
    );
  }
  return c;
}
