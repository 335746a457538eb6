import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { InferenceServiceClient, type LoadReport } from '@bottlenet/protocol';
import { Code, MeshError } from '@bottlenet/errors';

/** GetLoad over one gRPC channel per worker address. */
export class LoadPoller {
  readonly #clients = new Map<string, InferenceServiceClient>();

  /** Calls GetLoad on `address` with a deadline; rejects with a MeshError carrying the gRPC status. */
  getLoad(address: string, timeoutMs: number): Promise<LoadReport> {
    const client = this.#client(address);
    return new Promise((resolve, reject) => {
      client.getLoad(
        {},
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, report?: LoadReport) => {
          if (err !== null || report === undefined) {
            const code =
              err !== null && err.code in Code ? (err.code as number as Code) : Code.Unknown;
            reject(
              new MeshError(code, `GetLoad ${address}: ${err?.details ?? 'no report'}`, {
                cause: err,
              }),
            );
          } else {
            resolve(report);
          }
        },
      );
    });
  }

  /** Closes the channels of addresses not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [address, client] of this.#clients) {
      if (!keep.has(address)) {
        client.close();
        this.#clients.delete(address);
      }
    }
  }

  close(): void {
    this.retain(new Set());
  }

  #client(address: string): InferenceServiceClient {
    let c = this.#clients.get(address);
    if (c === undefined) {
      c = new InferenceServiceClient(address, credentials.createInsecure(), {
        // Reconnect fast after a worker restarts: the poll period is 200 ms, grpc-js's default backoff is 1-120 s.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
      });
      this.#clients.set(address, c);
    }
    return c;
  }
}
