import { hostname } from 'node:os';
import { Code, MeshError } from '@bottlenet/errors';
import { compileValidator } from '@bottlenet/config';
import { LoadMonitorConfigSchema, type LoadMonitorConfig } from './schema.js';

/** The monitor's configuration after defaults and validation; deep-frozen, `monitorId` filled in. */
export type CompiledLoadMonitorConfig = Readonly<LoadMonitorConfig & { monitorId: string }>;

const validate = compileValidator(LoadMonitorConfigSchema, 'config', 'bad_config');

/**
 * Applies defaults, validates and freezes a load-monitor configuration. Throws
 * `MeshError(InvalidArgument, type "bad_config")` naming the field.
 */
export function compileLoadMonitorConfig(input: unknown): CompiledLoadMonitorConfig {
  const withMonitorId =
    typeof input === 'object' && input !== null && !Array.isArray(input) && !('monitorId' in input)
      ? { ...input, monitorId: `${hostname()}-${String(process.pid)}` }
      : input;
  const config = validate(withMonitorId) as CompiledLoadMonitorConfig;
  const d = config.discovery;
  if (d.static.length === 0 && d.dns.length === 0 && !d.registry) {
    throw new MeshError(
      Code.InvalidArgument,
      'config field /discovery needs at least one of static, dns or registry',
      { type: 'bad_config' },
    );
  }
  if (config.redis.reconnectMaxMs < config.redis.reconnectBaseMs) {
    throw new MeshError(
      Code.InvalidArgument,
      'config field /redis/reconnectMaxMs must be >= /redis/reconnectBaseMs',
      { type: 'bad_config' },
    );
  }
  return config;
}
