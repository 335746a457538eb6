import { readFileSync } from 'node:fs';
import { Code, MeshError } from '@bottlenet/errors';
import { compileGatewayConfig, type CompiledGatewayConfig } from './compile.js';

/**
 * Reads the JSON config file (`--config` or `BOTTLENET_GATEWAY_CONFIG`) and applies the environment:
 * - `BOTTLENET_REDIS_URL` overrides `redis.url`;
 * - `BOTTLENET_GATEWAY_API_KEYS` (JSON array, e.g. from a Kubernetes Secret) replaces `apiKeys`;
 * - `BOTTLENET_GATEWAY_PORT` overrides `listen.port`; `BOTTLENET_LOG_LEVEL` overrides `logLevel`.
 * Every value is then validated like the file's.
 */
export function loadGatewayConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): CompiledGatewayConfig {
  const file = path ?? env.BOTTLENET_GATEWAY_CONFIG;
  if (file === undefined || file === '') {
    throw new MeshError(
      Code.InvalidArgument,
      'no config: pass --config <file> or set BOTTLENET_GATEWAY_CONFIG',
      { type: 'bad_config' },
    );
  }
  const raw = readJson(file, `config file ${file}`);
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    if (env.BOTTLENET_REDIS_URL)
      o.redis = { ...(o.redis as object | undefined), url: env.BOTTLENET_REDIS_URL };
    if (env.BOTTLENET_GATEWAY_API_KEYS)
      o.apiKeys = parseJson(env.BOTTLENET_GATEWAY_API_KEYS, 'BOTTLENET_GATEWAY_API_KEYS');
    if (env.BOTTLENET_GATEWAY_PORT)
      o.listen = { ...(o.listen as object | undefined), port: Number(env.BOTTLENET_GATEWAY_PORT) };
    if (env.BOTTLENET_LOG_LEVEL) o.logLevel = env.BOTTLENET_LOG_LEVEL;
  }
  return compileGatewayConfig(raw);
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MeshError(
      Code.InvalidArgument,
      `${what} is not readable: ${(err as Error).message}`,
      { type: 'bad_config', cause: err },
    );
  }
  return parseJson(text, what);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MeshError(Code.InvalidArgument, `${what} is not JSON: ${(err as Error).message}`, {
      type: 'bad_config',
      cause: err,
    });
  }
}
