import type { Socket } from 'node:net';
import { enc, type Reply } from './embedded-load-bus-resp.js';
import { globToRegExp, type Store } from './embedded-load-bus-store.js';

/** The commands answered; the unknown-command error lists them. */
export const EMBEDDED_LOAD_BUS_COMMANDS = [
  'PING',
  'ECHO',
  'INFO',
  'CLIENT',
  'SELECT',
  'QUIT',
  'MULTI',
  'EXEC',
  'DISCARD',
  'GET',
  'SET',
  'MGET',
  'DEL',
  'EXISTS',
  'KEYS',
  'SCAN',
  'PEXPIRE',
  'EXPIRE',
  'PTTL',
  'TTL',
  'HSET',
  'HGET',
  'HGETALL',
  'PUBLISH',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
] as const;

const SUBSCRIBED_OK = new Set(['SUBSCRIBE', 'UNSUBSCRIBE', 'PING', 'QUIT']);

/** One client connection's state. */
export interface Client {
  readonly id: number;
  readonly socket: Socket;
  readonly channels: Set<string>;
  name: string;
  multi: Buffer[][] | undefined;
  multiFailed: boolean;
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const arity = (name: string): string =>
  `ERR wrong number of arguments for '${name.toLowerCase()}' command`;
const NOT_INT = 'ERR value is not an integer or out of range';
const SYNTAX = 'ERR syntax error';

function parseInt64(b: Buffer | undefined): number | undefined {
  if (b === undefined) return undefined;
  const s = b.toString();
  if (!/^-?\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}

/**
 * The command table of the embedded load bus: returns the function that answers one command of one
 * client (MULTI queueing and the subscribed-mode restriction included). `clients` is the live set that
 * PUBLISH delivers to.
 */
export function createCommandHandler(o: {
  store: Store;
  clients: ReadonlySet<Client>;
  log: (line: string) => void;
}): (c: Client, args: Buffer[]) => Reply {
  const { store, clients, log } = o;
  const startedAt = Date.now();
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
        if (sub === 'GETNAME' && a.length === 1)
          return c.name === '' ? enc.nil() : enc.bulk(c.name);
        if (sub === 'SETINFO' && a.length === 3) return enc.simple('OK');
        if (sub === 'ID' && a.length === 1) return enc.int(c.id);
        return enc.error(
          `ERR unknown subcommand or wrong number of arguments for 'CLIENT ${sub ?? ''}' (embedded load bus implements SETNAME, GETNAME, SETINFO, ID)`,
        );
      }
      case 'SELECT':
        if (a.length !== 1) return enc.error(arity(name));
        return s(0) === '0'
          ? enc.simple('OK')
          : enc.error('ERR DB index is out of range (embedded load bus has only db 0)');
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
        return enc.array(
          a.map((k) => {
            const v = stringAt(k.toString());
            return v === undefined || v === 'wrong' ? enc.nil() : enc.bulk(v);
          }),
        );
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
        if (a.length < 1 || a.length % 2 !== 1)
          return a.length < 1 ? enc.error(arity(name)) : enc.error(SYNTAX);
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
        return enc.int(
          store.expireAt(s(0), Date.now() + (name === 'PEXPIRE' ? n : n * 1000)) ? 1 : 0,
        );
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
        return enc.array(
          [...(v?.value ?? new Map<string, Buffer>())].flatMap(([f, x]) => [
            enc.bulk(f),
            enc.bulk(x),
          ]),
        );
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
        return Buffer.concat(
          chans.map((ch) => {
            c.channels.delete(ch);
            return enc.array([enc.bulk('unsubscribe'), enc.bulk(ch), enc.int(c.channels.size)]);
          }),
        );
      }
      default:
        if (!unknownSeen.has(name)) {
          unknownSeen.add(name);
          log(
            `unknown command '${name.toLowerCase().slice(0, 64)}' from client '${c.name}' (answered with an error; logged once per name)`,
          );
        }
        return enc.error(
          `ERR unknown command '${name.toLowerCase().slice(0, 64)}' (embedded load bus implements only ${EMBEDDED_LOAD_BUS_COMMANDS.join(' ')})`,
        );
    }
  };

  /** Handles MULTI/EXEC/DISCARD and the subscribed-mode restriction around {@link execute}. */
  const dispatch = (c: Client, args: Buffer[]): Reply => {
    const name = args[0]!.toString().toUpperCase();
    if (c.channels.size > 0 && !SUBSCRIBED_OK.has(name)) {
      return enc.error(
        `ERR Can't execute '${name.toLowerCase()}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
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
      if (c.multiFailed)
        return enc.error('EXECABORT Transaction discarded because of previous errors.');
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

  return dispatch;
}
