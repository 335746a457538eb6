import { Resolver } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { Discovery, Target } from './target.js';

export interface DnsDiscoveryOptions {
  /** A name with one A record per worker, as a Kubernetes headless Service gives. */
  name: string;
  port: number;
  /** DNS servers (`ip` or `ip:port`). @default the system's */
  servers?: readonly string[] | undefined;
  /** Per-query timeout. @default 1000 */
  timeoutMs?: number;
  logger: Logger;
}

/** Names whose answer is "no such workers" rather than "ask again later". */
const EMPTY_ANSWERS = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * Resolves `name` to every A record on each `discover()`. NXDOMAIN or no records mean no workers (a
 * Service scaled to zero); any other failure (timeout, refused) keeps the last answer, so a DNS blip
 * does not drop live workers.
 */
export function dnsDiscovery(options: DnsDiscoveryOptions): Discovery {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 1000, tries: 2 });
  if (options.servers !== undefined) resolver.setServers([...options.servers]);
  let last: readonly Target[] = [];
  return {
    name: `dns:${options.name}`,
    async discover() {
      try {
        const ips = await resolver.resolve4(options.name);
        last = [...new Set(ips)]
          .sort()
          .map((ip) => ({ address: `${ip}:${String(options.port)}`, source: 'dns' as const }));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (EMPTY_ANSWERS.has(code)) last = [];
        else
          options.logger.warn(
            { err, name: options.name },
            'dns discovery failed; keeping the last answer',
          );
      }
      return last;
    },
  };
}
