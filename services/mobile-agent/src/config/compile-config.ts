import { Code, MeshError } from '@bottlenet/errors';
import { compileValidator } from '@bottlenet/config';
import { AgentConfigSchema, type AgentConfig } from './schema.js';

/** The agent's configuration after defaults and validation; deep-frozen. */
export type CompiledAgentConfig = Readonly<AgentConfig>;

const validate = compileValidator(AgentConfigSchema, 'config', 'bad_config');

/**
 * Applies defaults, validates and freezes an agent configuration (the shared `compileValidator` of
 * `@bottlenet/config`, as gateway and load monitor), then checks what the schema cannot express.
 * A bad value throws `MeshError(InvalidArgument, type "bad_config")` whose message names the field,
 * e.g. `config field /link/bandwidthMbps must be > 0`.
 */
export function compileAgentConfig(input: unknown): CompiledAgentConfig {
  const config = validate(input);
  if (config.link.preset === 'custom' && config.link.bandwidthMbps === undefined) {
    throw new MeshError(
      Code.InvalidArgument,
      'config field /link/bandwidthMbps is required when /link/preset is "custom"',
      {
        type: 'bad_config',
      },
    );
  }
  if (config.control.backoffMaxMs < config.control.backoffInitialMs) {
    throw new MeshError(
      Code.InvalidArgument,
      'config field /control/backoffMaxMs must be >= /control/backoffInitialMs',
      {
        type: 'bad_config',
      },
    );
  }
  return config;
}
