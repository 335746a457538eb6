#!/usr/bin/env node
// The gateway process: `node dist/main.js --config gateway.json` (see docs/control-plane.md).
// SIGTERM/SIGINT: graceful shutdown (readyz 503, drain, close), exit 0.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { MeshError } from '@bottlenet/errors';
import { loadGatewayConfig } from './config/index.js';
import { createGateway } from './gateway.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const bootLog = pino({ name: 'gateway' });
  let config;
  try {
    config = loadGatewayConfig(values.config);
  } catch (err) {
    bootLog.fatal({ err }, MeshError.from(err).message);
    process.exit(2);
  }
  const logger = pino({ name: 'gateway', level: config.logLevel });
  let gateway;
  try {
    gateway = await createGateway({ config, logger });
  } catch (err) {
    logger.fatal({ err }, `gateway cannot start: ${MeshError.from(err).message}`);
    process.exit(1);
  }
  const port = await gateway.listen();
  logger.info({ port, models: gateway.context.catalogue.all().length }, 'gateway listening');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void gateway.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
