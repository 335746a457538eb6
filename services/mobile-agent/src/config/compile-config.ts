import { Value } from '@sinclair/typebox/value';
import { Ajv, type ErrorObject } from 'ajv';
import { Code, MeshError } from '@bottlenet/errors';
import { AgentConfigSchema, type AgentConfig } from './schema.js';

/** The agent's configuration after defaults and validation; deep-frozen. */
export type CompiledAgentConfig = Readonly<AgentConfig>;

const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: false });
const validate = ajv.compile<AgentConfig>(AgentConfigSchema);

/**
 * Applies defaults, validates and freezes an agent configuration. A bad value throws
 * `MeshError(InvalidArgument, type "bad_config")` whose message names the field, e.g.
 * `config field /link/bandwidthMbps must be > 0`.
 */
export function compileAgentConfig(input: unknown): CompiledAgentConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MeshError(Code.InvalidArgument, 'config must be a JSON object', { type: 'bad_config' });
  }
  const withDefaults: unknown = Value.Default(AgentConfigSchema, structuredClone(input));
  if (!validate(withDefaults)) throw configError(validate.errors?.[0]);
  const config = withDefaults;
  if (config.link.preset === 'custom' && config.link.bandwidthMbps === undefined) {
    throw new MeshError(Code.InvalidArgument, 'config field /link/bandwidthMbps is required when /link/preset is "custom"', {
      type: 'bad_config',
    });
  }
  if (config.control.backoffMaxMs < config.control.backoffInitialMs) {
    throw new MeshError(Code.InvalidArgument, 'config field /control/backoffMaxMs must be >= /control/backoffInitialMs', {
      type: 'bad_config',
    });
  }
  return deepFreeze(config);
}

function configError(e: ErrorObject | undefined): MeshError {
  if (e === undefined) return new MeshError(Code.InvalidArgument, 'config is invalid', { type: 'bad_config' });
  let field = e.instancePath === '' ? '/' : e.instancePath;
  let what = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    field = `${e.instancePath}/${extra}`;
    what = 'is not a known field';
  } else if (e.keyword === 'required') {
    field = `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
    what = 'is required';
  } else if (e.keyword === 'anyOf') {
    what = 'is not one of the allowed values';
  }
  return new MeshError(Code.InvalidArgument, `config field ${field} ${what}`, { type: 'bad_config' });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
