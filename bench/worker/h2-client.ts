import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { InferReply, InferRequest } from '@bottlenet/protocol';

const INFER_PATH = '/bottlenet.v1.InferenceService/Infer';
const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE } =
  constants;

/** A request serialised once, in gRPC's length-prefixed framing (flag byte, 4-byte big-endian length). */
export function frameRequest(req: InferRequest): Buffer {
  const msg = InferRequest.encode(req).finish();
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/**
 * The load generator's gRPC client: unary `Infer` calls as plain HTTP/2 requests (what h2load or ghz send)
 * with pre-serialised bodies, so that the client takes as little CPU as possible from the worker on a
 * shared machine. The worker sees ordinary gRPC calls; replies are checked (grpc-status) and decoded.
 */
export class H2InferClient {
  private readonly session: ClientHttp2Session;

  constructor(address: string) {
    this.session = connect(`http://${address}`);
    this.session.on('error', () => undefined);
  }

  infer(framed: Buffer): Promise<InferReply> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request({
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_PATH]: INFER_PATH,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [HTTP2_HEADER_TE]: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const onHeaders = (h: Record<string, string | string[] | number | undefined>): void => {
        const s = h['grpc-status'];
        if (s !== undefined) {
          status = String(s);
          const msg = h['grpc-message'];
          message = typeof msg === 'string' ? decodeURIComponent(msg) : '';
        }
      };
      stream.on('response', onHeaders);
      stream.on('trailers', onHeaders);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('end', () => {
        if (status !== '0') {
          reject(new Error(`Infer failed: grpc-status ${status ?? 'missing'} ${message}`));
          return;
        }
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const len = body.readUInt32BE(1);
        resolve(InferReply.decode(body.subarray(5, 5 + len)));
      });
      stream.end(framed);
    });
  }

  close(): void {
    this.session.close();
  }
}
