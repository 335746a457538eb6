import { createServer, type Server } from 'node:net';
import { enc, parseCommands, ProtocolError, type Reply } from './embedded-load-bus-resp.js';
import { Store } from './embedded-load-bus-store.js';
import { createCommandHandler, type Client } from './embedded-load-bus-commands.js';

export { parseCommands } from './embedded-load-bus-resp.js';
export { globToRegExp } from './embedded-load-bus-store.js';
export { EMBEDDED_LOAD_BUS_COMMANDS } from './embedded-load-bus-commands.js';

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

/** Starts the embedded load bus (see {@link EmbeddedLoadBus}). */
export async function startEmbeddedLoadBus(
  options: EmbeddedLoadBusOptions = {},
): Promise<EmbeddedLoadBus> {
  const host = options.host ?? '127.0.0.1';
  const log = options.onLog ?? ((): void => undefined);
  const store = new Store();
  const clients = new Set<Client>();
  const dispatch = createCommandHandler({ store, clients, log });
  let nextId = 1;

  const server: Server = createServer((socket) => {
    const c: Client = {
      id: nextId++,
      socket,
      channels: new Set(),
      name: '',
      multi: undefined,
      multiFailed: false,
    };
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
        log(
          `protocol error from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ${msg}; closing that connection`,
        );
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
