#!/usr/bin/env node
// The cloud worker service: `node dist/main.js` (or `tsx src/main.ts`). Configuration from a JSON file
// (WORKER_CONFIG=path or `--config path`) and WORKER_* environment variables (docs/cloud-worker.md).
// SIGTERM/SIGINT: graceful drain, exit 0. SIGHUP: reload the model directories (new versions swap in).
import { MeshError } from '@bottlenet/errors';
import { loadWorkerConfig } from './config/index.js';
import { createLogger } from './logger.js';
import { startWorker } from './worker.js';

function configFileArg(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const warnings: string[] = [];
  let config;
  try {
    config = loadWorkerConfig({
      file: configFileArg(process.argv.slice(2)),
      warn: (m) => warnings.push(m),
    });
  } catch (e) {
    // No logger config yet: a single structured line on stderr, then exit 1.
    process.stderr.write(
      `${JSON.stringify({ level: 60, msg: 'cloud-worker cannot start', err: MeshError.from(e).message })}\n`,
    );
    return 1;
  }
  const logger = createLogger({ level: config.logLevel, workerId: config.workerId });
  for (const w of warnings) logger.warn(w);

  let worker;
  try {
    worker = await startWorker(config, { logger });
  } catch (e) {
    logger.fatal({ err: e }, `cloud-worker cannot start: ${MeshError.from(e).message}`);
    return 1;
  }
  const w = worker;
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading model repositories');
    w.reload().then(
      () => logger.info('reload done'),
      (e: unknown) =>
        logger.error(
          { err: e },
          `reload failed, still serving the previous versions: ${MeshError.from(e).message}`,
        ),
    );
  });
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      w.shutdown().then(
        (drained) => resolve(drained ? 0 : 1),
        (e: unknown) => {
          logger.error({ err: e }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
    // Give pino a tick to flush, then leave even if a stray handle remains.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (e: unknown) => {
    process.stderr.write(`cloud-worker crashed: ${String(e)}\n`);
    process.exit(1);
  },
);
