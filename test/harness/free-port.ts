import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on `host`: the OS picks it (listen on 0), then the socket closes.
 * Only for programs that cannot listen on port 0 themselves and report the port (redis-server); a race
 * with another process is possible, so callers retry on "address in use".
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}
