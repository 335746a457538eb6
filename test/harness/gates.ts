import { accessSync, constants } from 'node:fs';

/** Where the harness looks for redis-server: `$REDIS_SERVER`, else Debian's path. */
export function redisServerPath(): string {
  return process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
}

/**
 * Why tests that need a real redis-server must be skipped, or undefined when they can run.
 * Use as `test(name, { skip: redisSkipReason() }, fn)`: node's runner prints the reason next to SKIP.
 */
export function redisSkipReason(): string | undefined {
  const path = redisServerPath();
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return `redis-server not found at ${path} (install it with scripts/setup.sh or set REDIS_SERVER)`;
  }
}
