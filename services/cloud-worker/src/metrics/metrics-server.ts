import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerMetrics } from './worker-metrics.js';

/** Serves `GET /metrics` (Prometheus text) and `GET /healthz` on a plain HTTP port. */
export class MetricsServer {
  private server: Server | undefined;

  constructor(
    private readonly metrics: WorkerMetrics,
    private readonly isReady: () => boolean,
  ) {}

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end('only GET\n');
      } else if (path === '/metrics') {
        this.metrics.exposition().then(
          (text) => res.writeHead(200, { 'content-type': this.metrics.contentType }).end(text),
          (e: unknown) => res.writeHead(500).end(`metrics failed: ${String(e)}\n`),
        );
      } else if (path === '/healthz') {
        const ready = this.isReady();
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ready ? 'SERVING\n' : 'NOT_SERVING\n');
      } else {
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: try /metrics or /healthz\n');
      }
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
