import { readFileSync } from 'node:fs';
import { Code, MeshError } from '@bottlenet/errors';
import { compileLoadMonitorConfig, type CompiledLoadMonitorConfig } from './compile.js';

/**
 * Environment variables the monitor reads (all optional):
 * - `BOTTLENET_LOAD_MONITOR_CONFIG`: path of the JSON config file when `--config` is not given;
 * - `BOTTLENET_REDIS_URL`: overrides `redis.url`;
 * - `BOTTLENET_LOG_LEVEL`: overrides `logLevel`.
 */
export function loadLoadMonitorConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): CompiledLoadMonitorConfig {
  const file = path ?? env.BOTTLENET_LOAD_MONITOR_CONFIG;
  if (file === undefined || file === '') {
    throw new MeshError(
      Code.InvalidArgument,
      'no config: pass --config <file> or set BOTTLENET_LOAD_MONITOR_CONFIG',
      { type: 'bad_config' },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MeshError(
      Code.InvalidArgument,
      `config file ${file} is not readable JSON: ${(err as Error).message}`,
      { type: 'bad_config', cause: err },
    );
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    if (env.BOTTLENET_REDIS_URL)
      o.redis = { ...(o.redis as object | undefined), url: env.BOTTLENET_REDIS_URL };
    if (env.BOTTLENET_LOG_LEVEL) o.logLevel = env.BOTTLENET_LOG_LEVEL;
  }
  return compileLoadMonitorConfig(raw);
}
