import { pino, type Logger as PinoLogger } from 'pino';

/** The logger the worker's modules take: pino's, so that child loggers and levels work as usual. */
export type Logger = PinoLogger;

/** The service's one pino logger (JSON lines on stdout); `level: 'silent'` for tests. */
export function createLogger(options: { level: string; workerId: string }): Logger {
  return pino({
    level: options.level,
    base: { service: 'cloud-worker', worker: options.workerId },
  });
}
