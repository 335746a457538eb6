import type { Discovery, Target } from './target.js';

/** A fixed list of `host:port` addresses. */
export function staticDiscovery(addresses: readonly string[]): Discovery {
  const targets: readonly Target[] = Object.freeze(
    addresses.map((address) => ({ address, source: 'static' as const })),
  );
  return { name: 'static', discover: () => Promise.resolve(targets) };
}
