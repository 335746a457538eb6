import { createServer, type Server, type Socket } from 'node:net';

/**
 * The embedded load bus: a stand-in for `redis-server` used ONLY by the one-command demo's mesh launcher
 * (`startMesh`, see mesh.ts) on machines where redis-server is not installed. It is a tiny RESP2 server on
 * loopback, in the launcher's process, holding everything in memory, and it implements exactly the
 * commands the load monitor and the gateway send through ioredis (plus what ioredis sends on connect):
 * strings with PX/EX expiry, hashes with PEXPIRE, KEYS/SCAN with MATCH, MGET/DEL, PUBLISH and
 * SUBSCRIBE, MULTI/EXEC. Anything else is answered `-ERR unknown command '<name>' (embedded load bus
 * implements only ...)`. No persistence, no replication, no auth, one database (SELECT 0 only), SCAN
 * returns everything in one batch. Tests of the load monitor and gateway use the real redis-server.
 */
export interface EmbeddedLoadBus {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Closes the listener and every client connection. */
  close(): Promise<void>;
}

export interface EmbeddedLoadBusOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (the OS picks a free port) */
  readonly port?: number;
  /** Receives one line per notable event (listening, protocol errors). */
  readonly onLog?: (line: string) => void;
  /** How often expired keys are swept (they are also dropped lazily on access). @default 1000 */
  readonly sweepMs?: number;
}

/** Largest bulk string and array accepted; a bigger header is a protocol error (Redis: 512 MiB / 2^31). */
const MAX_BULK = 64 * 1024 * 1024;
const MAX_ARGS = 1024 * 1024;
const MAX_INLINE = 64 * 1024;

type Value = { readonly kind: 'string'; value: Buffer } | { readonly kind: 'hash'; readonly value: Map<string, Buffer> };
type Reply = Buffer;

class ProtocolError extends Error {}

const enc = {
  simple: (s: string): Reply => Buffer.from(`+${s}\r\n`),
  error: (s: string): Reply => Buffer.from(`-${s.replace(/[\r\n]+/g, ' ')}\r\n`),
  int: (n: number): Reply => Buffer.from(`:${n}\r\n`),
  nil: (): Reply => Buffer.from('$-1\r\n'),
  bulk: (b: Buffer | string): Reply => {
    const buf = typeof b === 'string' ? Buffer.from(b) : b;
    return Buffer.concat([Buffer.from(`$${buf.length}\r\n`), buf, Buffer.from('\r\n')]);
  },
  array: (items: readonly Reply[]): Reply => Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items]),
};

/**
 * Parses as many complete commands as `buf` holds from `offset`: multibulk (`*N\r\n$len\r\n...`) as
 * clients send, or inline (`PING\r\n`) as telnet does. Returns the commands and the new offset; throws
 * {@link ProtocolError} on input no client would send.
 */
export function parseCommands(buf: Buffer, offset = 0): { commands: Buffer[][]; offset: number } {
  const commands: Buffer[][] = [];
  let pos = offset;
  const line = (from: number): { text: string; next: number } | undefined => {
    const end = buf.indexOf('\r\n', from);
    if (end < 0) {
      if (buf.length - from > MAX_INLINE) throw new ProtocolError('too big inline request');
      return undefined;
    }
    return { text: buf.toString('latin1', from, end), next: end + 2 };
  };
  const int = (text: string, what: string, max: number): number => {
    if (!/^-?\d{1,12}$/.test(text)) throw new ProtocolError(`invalid ${what} length '${text.slice(0, 32)}'`);
    const n = Number(text);
    if (n > max) throw new ProtocolError(`invalid ${what} length ${n}`);
    return n;
  };
  for (;;) {
    if (pos >= buf.length) break;
    if (buf[pos] === 0x2a /* * */) {
      const head = line(pos + 1);
      if (head === undefined) break;
      const n = int(head.text, 'multibulk', MAX_ARGS);
      let p = head.next;
      const args: Buffer[] = [];
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (p >= buf.length) {
          complete = false;
          break;
        }
        if (buf[p] !== 0x24 /* $ */) throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[p]!)}'`);
        const h = line(p + 1);
        if (h === undefined) {
          complete = false;
          break;
        }
        const len = int(h.text, 'bulk', MAX_BULK);
        if (len < 0) throw new ProtocolError('invalid bulk length');
        if (buf.length < h.next + len + 2) {
          complete = false;
          break;
        }
        if (buf[h.next + len] !== 0x0d || buf[h.next + len + 1] !== 0x0a) throw new ProtocolError('bulk string not terminated by CRLF');
        args.push(buf.subarray(h.next, h.next + len));
        p = h.next + len + 2;
      }
      if (!complete) break;
      pos = p;
      if (n > 0) commands.push(args);
    } else {
      const l = line(pos);
      if (l === undefined) break;
      pos = l.next;
      const words = l.text.trim().split(/\s+/).filter((w) => w !== '');
      if (words.length > 0) commands.push(words.map((w) => Buffer.from(w, 'latin1')));
    }
  }
  return { commands, offset: pos };
}

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

/** The commands answered; the unknown-command error lists them. */
export const EMBEDDED_LOAD_BUS_COMMANDS = [
  'PING', 'ECHO', 'INFO', 'CLIENT', 'SELECT', 'QUIT', 'MULTI', 'EXEC', 'DISCARD',
  'GET', 'SET', 'MGET', 'DEL', 'EXISTS', 'KEYS', 'SCAN', 'PEXPIRE', 'EXPIRE', 'PTTL', 'TTL',
  'HSET', 'HGET', 'HGETALL', 'PUBLISH', 'SUBSCRIBE', 'UNSUBSCRIBE',
] as const;

const SUBSCRIBED_OK = new Set(['SUBSCRIBE', 'UNSUBSCRIBE', 'PING', 'QUIT']);

interface Client {
  readonly socket: Socket;
  readonly channels: Set<string>;
  name: string;
  multi: Buffer[][] | undefined;
  multiFailed: boolean;
}

class Store {
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

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const arity = (name: string): string => `ERR wrong number of arguments for '${name.toLowerCase()}' command`;
const NOT_INT = 'ERR value is not an integer or out of range';
const SYNTAX = 'ERR syntax error';

function parseInt64(b: Buffer | undefined): number | undefined {
  if (b === undefined) return undefined;
  const s = b.toString();
  if (!/^-?\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}

/** Starts the embedded load bus (see {@link EmbeddedLoadBus}). */
export async function startEmbeddedLoadBus(options: EmbeddedLoadBusOptions = {}): Promise<EmbeddedLoadBus> {
  const host = options.host ?? '127.0.0.1';
  const log = options.onLog ?? ((): void => undefined);
  const store = new Store();
  const clients = new Set<Client>();
  const startedAt = Date.now();
  let nextId = 1;
  const clientIds = new WeakMap<Client, number>();
  const unknownSeen = new Set<string>();

  const publish = (channel: string, message: Buffer): number => {
    let n = 0;
    const frame = enc.array([enc.bulk('message'), enc.bulk(channel), enc.bulk(message)]);
    for (const c of clients) {
      if (c.channels.has(channel) && !c.socket.destroyed) {
        c.socket.write(frame);
        n++;
      }
    }
    return n;
  };

  const stringAt = (key: string): Buffer | undefined | 'wrong' => {
    const v = store.lookup(key);
    if (v === undefined) return undefined;
    return v.kind === 'string' ? v.value : 'wrong';
  };

  /** Executes one command and returns its reply (QUIT's connection close is done by the caller). */
  const execute = (c: Client, args: Buffer[]): Reply => {
    const name = args[0]!.toString().toUpperCase();
    const a = args.slice(1);
    const s = (i: number): string => a[i]!.toString();
    switch (name) {
      case 'PING':
        if (a.length > 1) return enc.error(arity(name));
        if (c.channels.size > 0) return enc.array([enc.bulk('pong'), enc.bulk(a[0] ?? '')]);
        return a.length === 1 ? enc.bulk(a[0]!) : enc.simple('PONG');
      case 'ECHO':
        return a.length === 1 ? enc.bulk(a[0]!) : enc.error(arity(name));
      case 'INFO':
        return enc.bulk(
          [
            '# Server',
            'redis_version:7.0.0-embedded-load-bus',
            'redis_mode:standalone',
            `uptime_in_seconds:${Math.floor((Date.now() - startedAt) / 1000)}`,
            '# Clients',
            `connected_clients:${clients.size}`,
            '# Persistence',
            'loading:0',
            '# Keyspace',
            store.size > 0 ? `db0:keys=${store.size},expires=0` : '',
            '',
          ].join('\r\n'),
        );
      case 'CLIENT': {
        const sub = a[0]?.toString().toUpperCase();
        if (sub === 'SETNAME' && a.length === 2) {
          c.name = s(1);
          return enc.simple('OK');
        }
        if (sub === 'GETNAME' && a.length === 1) return c.name === '' ? enc.nil() : enc.bulk(c.name);
        if (sub === 'SETINFO' && a.length === 3) return enc.simple('OK');
        if (sub === 'ID' && a.length === 1) return enc.int(clientIds.get(c) ?? 0);
        return enc.error(`ERR unknown subcommand or wrong number of arguments for 'CLIENT ${sub ?? ''}' (embedded load bus implements SETNAME, GETNAME, SETINFO, ID)`);
      }
      case 'SELECT':
        if (a.length !== 1) return enc.error(arity(name));
        return s(0) === '0' ? enc.simple('OK') : enc.error('ERR DB index is out of range (embedded load bus has only db 0)');
      case 'QUIT':
        return enc.simple('OK');
      case 'GET': {
        if (a.length !== 1) return enc.error(arity(name));
        const v = stringAt(s(0));
        return v === 'wrong' ? enc.error(WRONGTYPE) : v === undefined ? enc.nil() : enc.bulk(v);
      }
      case 'SET': {
        if (a.length < 2) return enc.error(arity(name));
        let ttlMs: number | undefined;
        let nx = false;
        let xx = false;
        for (let i = 2; i < a.length; i++) {
          const opt = s(i).toUpperCase();
          if (opt === 'NX') nx = true;
          else if (opt === 'XX') xx = true;
          else if ((opt === 'PX' || opt === 'EX') && ttlMs === undefined) {
            const n = parseInt64(a[++i]);
            if (n === undefined) return enc.error(NOT_INT);
            if (n <= 0) return enc.error("ERR invalid expire time in 'set' command");
            ttlMs = opt === 'PX' ? n : n * 1000;
          } else return enc.error(SYNTAX);
        }
        if (nx && xx) return enc.error(SYNTAX);
        const exists = store.lookup(s(0)) !== undefined;
        if ((nx && exists) || (xx && !exists)) return enc.nil();
        store.put(s(0), { kind: 'string', value: Buffer.from(a[1]!) });
        if (ttlMs !== undefined) store.expireAt(s(0), Date.now() + ttlMs);
        return enc.simple('OK');
      }
      case 'MGET': {
        if (a.length < 1) return enc.error(arity(name));
        return enc.array(a.map((k) => {
          const v = stringAt(k.toString());
          return v === undefined || v === 'wrong' ? enc.nil() : enc.bulk(v);
        }));
      }
      case 'DEL':
      case 'EXISTS': {
        if (a.length < 1) return enc.error(arity(name));
        let n = 0;
        for (const k of a) {
          if (store.lookup(k.toString()) === undefined) continue;
          if (name === 'DEL') store.delete(k.toString());
          n++;
        }
        return enc.int(n);
      }
      case 'KEYS':
        if (a.length !== 1) return enc.error(arity(name));
        return enc.array(store.keys(globToRegExp(s(0))).map((k) => enc.bulk(k)));
      case 'SCAN': {
        if (a.length < 1 || a.length % 2 !== 1) return a.length < 1 ? enc.error(arity(name)) : enc.error(SYNTAX);
        if (parseInt64(a[0]) === undefined) return enc.error('ERR invalid cursor');
        let match: RegExp | undefined;
        for (let i = 1; i < a.length; i += 2) {
          const opt = s(i).toUpperCase();
          if (opt === 'MATCH') match = globToRegExp(s(i + 1));
          else if (opt === 'COUNT') {
            const n = parseInt64(a[i + 1]);
            if (n === undefined || n < 1) return enc.error(NOT_INT);
          } else return enc.error(SYNTAX);
        }
        // one batch: every matching key, cursor 0 (COUNT is only a hint in Redis too)
        return enc.array([enc.bulk('0'), enc.array(store.keys(match).map((k) => enc.bulk(k)))]);
      }
      case 'PEXPIRE':
      case 'EXPIRE': {
        if (a.length !== 2) return enc.error(arity(name));
        const n = parseInt64(a[1]);
        if (n === undefined) return enc.error(NOT_INT);
        return enc.int(store.expireAt(s(0), Date.now() + (name === 'PEXPIRE' ? n : n * 1000)) ? 1 : 0);
      }
      case 'PTTL':
      case 'TTL': {
        if (a.length !== 1) return enc.error(arity(name));
        const ms = store.pttl(s(0));
        return enc.int(ms < 0 || name === 'PTTL' ? ms : Math.round(ms / 1000));
      }
      case 'HSET': {
        if (a.length < 3 || a.length % 2 !== 1) return enc.error(arity(name));
        const key = s(0);
        let v = store.lookup(key);
        if (v !== undefined && v.kind !== 'hash') return enc.error(WRONGTYPE);
        if (v === undefined) {
          v = { kind: 'hash', value: new Map() };
          store.put(key, v);
        }
        let added = 0;
        for (let i = 1; i < a.length; i += 2) {
          if (!v.value.has(s(i))) added++;
          v.value.set(s(i), Buffer.from(a[i + 1]!));
        }
        return enc.int(added);
      }
      case 'HGET':
      case 'HGETALL': {
        if (a.length !== (name === 'HGET' ? 2 : 1)) return enc.error(arity(name));
        const v = store.lookup(s(0));
        if (v !== undefined && v.kind !== 'hash') return enc.error(WRONGTYPE);
        if (name === 'HGET') {
          const f = v?.value.get(s(1));
          return f === undefined ? enc.nil() : enc.bulk(f);
        }
        return enc.array([...(v?.value ?? new Map<string, Buffer>())].flatMap(([f, x]) => [enc.bulk(f), enc.bulk(x)]));
      }
      case 'PUBLISH':
        if (a.length !== 2) return enc.error(arity(name));
        return enc.int(publish(s(0), a[1]!));
      case 'SUBSCRIBE': {
        if (a.length < 1) return enc.error(arity(name));
        const out: Reply[] = [];
        for (const ch of a.map((x) => x.toString())) {
          c.channels.add(ch);
          out.push(enc.array([enc.bulk('subscribe'), enc.bulk(ch), enc.int(c.channels.size)]));
        }
        return Buffer.concat(out);
      }
      case 'UNSUBSCRIBE': {
        const chans = a.length > 0 ? a.map((x) => x.toString()) : [...c.channels];
        if (chans.length === 0) return enc.array([enc.bulk('unsubscribe'), enc.nil(), enc.int(0)]);
        return Buffer.concat(chans.map((ch) => {
          c.channels.delete(ch);
          return enc.array([enc.bulk('unsubscribe'), enc.bulk(ch), enc.int(c.channels.size)]);
        }));
      }
      default:
        if (!unknownSeen.has(name)) {
          unknownSeen.add(name);
          log(`unknown command '${name.toLowerCase().slice(0, 64)}' from client '${c.name}' (answered with an error; logged once per name)`);
        }
        return enc.error(`ERR unknown command '${name.toLowerCase().slice(0, 64)}' (embedded load bus implements only ${EMBEDDED_LOAD_BUS_COMMANDS.join(' ')})`);
    }
  };

  /** Handles MULTI/EXEC/DISCARD and the subscribed-mode restriction around {@link execute}. */
  const dispatch = (c: Client, args: Buffer[]): Reply => {
    const name = args[0]!.toString().toUpperCase();
    if (c.channels.size > 0 && !SUBSCRIBED_OK.has(name)) {
      return enc.error(`ERR Can't execute '${name.toLowerCase()}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    }
    if (name === 'MULTI') {
      if (c.multi !== undefined) return enc.error('ERR MULTI calls can not be nested');
      c.multi = [];
      c.multiFailed = false;
      return enc.simple('OK');
    }
    if (name === 'EXEC' || name === 'DISCARD') {
      const queued = c.multi;
      if (queued === undefined) return enc.error(`ERR ${name} without MULTI`);
      c.multi = undefined;
      if (name === 'DISCARD') return enc.simple('OK');
      if (c.multiFailed) return enc.error('EXECABORT Transaction discarded because of previous errors.');
      // single-threaded: the queued commands run back to back, nothing interleaves
      return enc.array(queued.map((q) => execute(c, q)));
    }
    if (c.multi !== undefined && name !== 'QUIT') {
      if (!(EMBEDDED_LOAD_BUS_COMMANDS as readonly string[]).includes(name)) {
        c.multiFailed = true;
        return execute(c, args); // the unknown-command error; nothing runs
      }
      if (name === 'SUBSCRIBE' || name === 'UNSUBSCRIBE') {
        c.multiFailed = true;
        return enc.error(`ERR ${name} inside MULTI is not allowed`);
      }
      c.multi.push(args);
      return enc.simple('QUEUED');
    }
    return execute(c, args);
  };

  const server: Server = createServer((socket) => {
    const c: Client = { socket, channels: new Set(), name: '', multi: undefined, multiFailed: false };
    clientIds.set(c, nextId++);
    clients.add(c);
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let closing = false;
    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let parsed: { commands: Buffer[][]; offset: number };
      try {
        parsed = parseCommands(pending);
      } catch (err) {
        const msg = err instanceof ProtocolError ? err.message : String(err);
        log(`protocol error from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ${msg}; closing that connection`);
        closing = true;
        socket.end(enc.error(`ERR Protocol error: ${msg}`));
        pending = Buffer.alloc(0);
        return;
      }
      pending = pending.subarray(parsed.offset);
      const out: Reply[] = [];
      for (const args of parsed.commands) {
        out.push(dispatch(c, args));
        if (args[0]!.toString().toUpperCase() === 'QUIT') {
          closing = true;
          socket.end(Buffer.concat(out));
          return;
        }
      }
      if (out.length > 0) socket.write(Buffer.concat(out));
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => clients.delete(c));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const sweeper = setInterval(() => store.sweep(), options.sweepMs ?? 1000);
  sweeper.unref();
  log(`embedded load bus (in-memory RESP2 stand-in for redis-server) listening on ${host}:${port}`);
  return {
    url: `redis://${host}:${port}`,
    port,
    close: async () => {
      clearInterval(sweeper);
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
