#!/usr/bin/env node
// The load monitor process: `node dist/main.js --config monitor.json` (see docs/control-plane.md).
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { MeshError } from '@bottlenet/errors';
import { loadLoadMonitorConfig } from './config/index.js';
import { buildHttp } from './http.js';
import { createMetrics } from './metrics.js';
import { LoadMonitor } from './monitor.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const bootLog = pino({ name: 'load-monitor' });
  let config;
  try {
    config = loadLoadMonitorConfig(values.config);
  } catch (err) {
    bootLog.fatal({ err }, MeshError.from(err).message);
    process.exit(2);
  }
  const logger = pino({
    name: 'load-monitor',
    level: config.logLevel,
    base: { monitorId: config.monitorId },
  });
  const metrics = createMetrics();
  const monitor = new LoadMonitor({ config, logger, metrics });
  const http = buildHttp({ monitor, metrics, logger });
  await monitor.start();
  await http.listen({ host: config.http.host, port: config.http.port });
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.http.port;
  logger.info({ port, targets: monitor.targets.length }, 'load monitor listening');

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    // A scrape answered after close() began would hold its keep-alive connection (and the exit) open
    // until the keep-alive timeout: reap connections as they go idle until the listener has closed.
    const reaper = setInterval(() => http.server.closeIdleConnections(), 50);
    reaper.unref();
    void Promise.allSettled([http.close(), monitor.stop()]).then(() => {
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
