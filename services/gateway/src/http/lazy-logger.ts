import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

type LogFn = FastifyBaseLogger['info'];

/**
 * A request's logger that makes its pino child (with the request id bound) only when something is
 * logged: fastify asks for a child per request, and the gateway logs a request only on an error (or at
 * `debug`), so most requests never need one.
 */
class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get #log(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#log.level = level;
  }

  fatal(...args: Parameters<LogFn>): void {
    this.#log.fatal(...args);
  }

  error(...args: Parameters<LogFn>): void {
    this.#log.error(...args);
  }

  warn(...args: Parameters<LogFn>): void {
    this.#log.warn(...args);
  }

  info(...args: Parameters<LogFn>): void {
    this.#log.info(...args);
  }

  debug(...args: Parameters<LogFn>): void {
    this.#log.debug(...args);
  }

  trace(...args: Parameters<LogFn>): void {
    this.#log.trace(...args);
  }

  silent(...args: Parameters<LogFn>): void {
    this.#log.silent(...args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#log.child(bindings, options);
  }
}

/** fastify's `childLoggerFactory`: a lazy child per request (see LazyChildLogger). */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
