/** The embedded load bus's keyspace: strings and hashes in memory, with millisecond expiry. */
export type Value =
  | { readonly kind: 'string'; value: Buffer }
  | { readonly kind: 'hash'; readonly value: Map<string, Buffer> };

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** A Redis glob (`*`, `?`, `[a-z]`, `[^x]`, `\x`) as a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        const negate = body.startsWith('^');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
        i = end;
      }
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

/** Keys, values and expiry times; an expired key is dropped when touched or swept. */
export class Store {
  readonly #data = new Map<string, Value>();
  readonly #expires = new Map<string, number>();

  lookup(key: string): Value | undefined {
    const at = this.#expires.get(key);
    if (at !== undefined && at <= Date.now()) this.delete(key);
    return this.#data.get(key);
  }
  put(key: string, v: Value): void {
    this.#data.set(key, v);
    this.#expires.delete(key);
  }
  delete(key: string): boolean {
    this.#expires.delete(key);
    return this.#data.delete(key);
  }
  expireAt(key: string, atMs: number): boolean {
    if (this.lookup(key) === undefined) return false;
    if (atMs <= Date.now()) this.delete(key);
    else this.#expires.set(key, atMs);
    return true;
  }
  pttl(key: string): number {
    if (this.lookup(key) === undefined) return -2;
    const at = this.#expires.get(key);
    return at === undefined ? -1 : Math.max(0, at - Date.now());
  }
  keys(match: RegExp | undefined): string[] {
    this.sweep();
    return [...this.#data.keys()].filter((k) => match === undefined || match.test(k));
  }
  sweep(): void {
    const now = Date.now();
    for (const [k, at] of this.#expires) if (at <= now) this.delete(k);
  }
  get size(): number {
    return this.#data.size;
  }
}
