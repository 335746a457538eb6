import { Code, MeshError } from '@bottlenet/errors';
import { ERROR_TYPE_METADATA_KEY, RETRY_AFTER_METADATA_KEY } from '@bottlenet/protocol';
import { Http2ClientConnection } from './h2/http2-client-connection.js';
import type { HeaderFields, Http2Stream, StreamEnd, StreamHandler } from './h2/http2-stream.js';
import { indexedField, literalField } from './h2/hpack-encoder.js';
import { H2Error, h2ErrorName } from './h2/http2-protocol-error.js';

/** The outcome of one unary call: the reply message bytes, or a gRPC status as a MeshError. */
export type UnaryCallback = (err: MeshError | undefined, reply: Buffer | undefined) => void;

/** Cancels a call in progress (the stream is reset with CANCEL; the callback gets CANCELLED). */
export type CancelFn = () => void;

/** The largest reply accepted, as grpc-js's default receive limit (the workers' replies are < 1 KiB). */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/**
 * A gRPC unary client for one worker over one HTTP/2 connection, carrying message bytes as they are:
 * the gateway forwards the caller's InferRequest bytes and passes the worker's reply bytes back, so it
 * needs no (de)serialisation, no interceptors, no retry machinery and no service config, which are most
 * of grpc-js's per-call cost, and it runs on its own HTTP/2 client (`h2/`), not node:http2, whose
 * per-stream objects were most of the rest (see docs/control-plane.md, "Why not grpc-js on the hot
 * path"). It implements the parts of the gRPC-over-HTTP/2 protocol a unary call uses: the
 * length-prefixed message, `grpc-timeout`, `grpc-status`/`grpc-message` in trailers or trailers-only
 * replies, HTTP status mapping, RST_STREAM and connection failures (UNAVAILABLE, as grpc-js reports
 * them). A lost connection is re-dialled by the next call; the gateway's suspect marks keep a dead
 * worker at the back of the queue meanwhile.
 */
export class GrpcUnaryChannel {
  readonly #host: string;
  readonly #port: number;
  readonly #name: string;
  /** The constant part of the request header block, per method path. */
  readonly #blocks = new Map<string, Buffer>();
  #connection: Http2ClientConnection | undefined;
  #closed = false;

  /** `address` is `host:port` (plaintext HTTP/2, as the workers serve it); `name` prefixes error messages. */
  constructor(address: string, name: string = address) {
    const parsed = GrpcUnaryChannel.parseAddress(address);
    if (parsed === undefined)
      throw new MeshError(Code.InvalidArgument, `worker address "${address}" is not host:port`, {
        type: 'bad_address',
      });
    [this.#host, this.#port] = parsed;
    this.#name = name;
  }

  /** `host:port` (or `[v6]:port`) as host and port, or undefined when it is not one. */
  static parseAddress(address: string): [host: string, port: number] | undefined {
    const colon = address.lastIndexOf(':');
    const portText = address.slice(colon + 1);
    const port = Number(portText);
    if (colon <= 0 || !/^[0-9]+$/.test(portText) || port <= 0 || port > 65535) return undefined;
    return [address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port];
  }

  /**
   * Calls `path` with `message` (the serialised request) and an absolute deadline (ms since the epoch):
   * the remaining time goes to the worker as `grpc-timeout`, and the call ends with DEADLINE_EXCEEDED
   * here if no answer came by then.
   */
  call(path: string, message: Buffer, deadlineAtMs: number, callback: UnaryCallback): CancelFn {
    return this.callFramed(path, GrpcUnaryChannel.frame(message), deadlineAtMs, callback);
  }

  /**
   * A buffer of `5 + message.length + extra` bytes: the gRPC message prefix (not compressed, the length
   * of the message and the `extra` bytes the caller writes after it), then `message`.
   */
  static frame(message: Buffer, extra = 0): Buffer {
    const framed = Buffer.allocUnsafe(5 + message.length + extra);
    framed[0] = 0; // not compressed
    framed.writeUInt32BE(message.length + extra, 1);
    message.copy(framed, 5);
    return framed;
  }

  /** `call` with a message already framed (see `frame`): no copy here. */
  callFramed(
    path: string,
    framed: Buffer,
    deadlineAtMs: number,
    callback: UnaryCallback,
  ): CancelFn {
    if (this.#closed) {
      callback(
        new MeshError(Code.Unavailable, `${this.#name}: channel closed`, {
          type: 'channel_closed',
        }),
        undefined,
      );
      return noop;
    }
    const timeoutMs = Math.max(1, Math.ceil(deadlineAtMs - Date.now()));
    const connection = this.#connected();
    const call = new UnaryCall(connection, this.#name, timeoutMs, callback);
    call.start(this.#headerBlock(path, timeoutMs), framed);
    return () => call.cancel();
  }

  /** Closes the connection; calls in progress finish first (GOAWAY), new calls fail UNAVAILABLE. */
  close(): void {
    this.#closed = true;
    this.#connection?.close();
    this.#connection = undefined;
  }

  #connected(): Http2ClientConnection {
    const c = this.#connection;
    if (c?.usable === true) return c;
    const connection = new Http2ClientConnection(
      this.#host,
      this.#port,
      MAX_REPLY_BYTES + 64 * 1024,
      () => {
        if (this.#connection === connection) this.#connection = undefined;
      },
    );
    this.#connection = connection;
    return connection;
  }

  /** The request's header block: the per-path constant part, then `grpc-timeout`. */
  #headerBlock(path: string, timeoutMs: number): Buffer {
    let head = this.#blocks.get(path);
    if (head === undefined) {
      head = Buffer.concat([
        indexedField(3), // :method POST
        indexedField(6), // :scheme http
        literalField(4, path), // :path
        literalField(
          1,
          `${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${String(this.#port)}`,
        ), // :authority
        literalField(31, 'application/grpc'), // content-type
        literalField('te', 'trailers'),
        GRPC_TIMEOUT_NAME,
      ]);
      this.#blocks.set(path, head);
    }
    const value = grpcTimeout(timeoutMs);
    const block = Buffer.allocUnsafe(head.length + 1 + value.length);
    head.copy(block, 0);
    block[head.length] = value.length; // < 127: a one-byte string length, no Huffman
    block.write(value, head.length + 1, 'latin1');
    return block;
  }
}

/** `grpc-timeout`'s field up to its value: a literal without indexing with a new name. */
const GRPC_TIMEOUT_NAME = literalField('grpc-timeout', '').subarray(0, -1);

/** gRPC's TimeoutValue (at most 8 digits) and unit, as coarse as needed. */
function grpcTimeout(ms: number): string {
  if (ms < 1e8) return `${String(ms)}m`;
  const s = Math.ceil(ms / 1000);
  return s < 1e8 ? `${String(s)}S` : `${String(Math.min(99_999_999, Math.ceil(s / 3600)))}H`;
}

/** One call's state: headers, message bytes, trailers, then exactly one callback. */
class UnaryCall implements StreamHandler {
  readonly #connection: Http2ClientConnection;
  readonly #name: string;
  readonly #callback: UnaryCallback;
  readonly #timer: NodeJS.Timeout;
  #stream: Http2Stream | undefined;
  #headers: HeaderFields | undefined;
  #trailers: HeaderFields | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #tooLarge = false;
  #deadlineHit = false;
  #done = false;

  constructor(
    connection: Http2ClientConnection,
    name: string,
    timeoutMs: number,
    callback: UnaryCallback,
  ) {
    this.#connection = connection;
    this.#name = name;
    this.#callback = callback;
    this.#timer = setTimeout(() => {
      this.#deadlineHit = true;
      this.cancel();
    }, timeoutMs);
  }

  start(block: Buffer, framed: Buffer): void {
    this.#stream = this.#connection.request(block, framed, this);
  }

  cancel(): void {
    if (!this.#done && this.#stream !== undefined)
      this.#connection.reset(this.#stream, H2Error.Cancel);
  }

  onHeaders(fields: HeaderFields): void {
    if (this.#headers === undefined) this.#headers = fields;
    else this.#trailers = fields;
  }

  onData(chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_REPLY_BYTES) {
      this.#tooLarge = true;
      this.cancel();
      return;
    }
    this.#chunks.push(chunk);
  }

  onEnd(end: StreamEnd): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    const [err, reply] = this.#outcome(end);
    this.#callback(err, reply);
  }

  #outcome(end: StreamEnd): [MeshError | undefined, Buffer | undefined] {
    const n = this.#name;
    if (this.#deadlineHit)
      return [
        new MeshError(Code.DeadlineExceeded, `${n}: deadline exceeded waiting for the reply`, {
          type: 'deadline',
        }),
        undefined,
      ];
    if (this.#tooLarge)
      return [
        new MeshError(
          Code.ResourceExhausted,
          `${n}: reply larger than ${String(MAX_REPLY_BYTES)} bytes`,
          {
            type: 'reply_too_large',
          },
        ),
        undefined,
      ];
    // gRPC status: in the trailers, or in the headers of a trailers-only reply.
    const st = this.#trailers?.['grpc-status'] ?? this.#headers?.['grpc-status'];
    if (st !== undefined && end.kind === 'ended') {
      const code = Number(st);
      if (code === 0) {
        const msg = this.#message();
        return typeof msg === 'string'
          ? [new MeshError(Code.Internal, `${n}: ${msg}`, { type: 'bad_reply' }), undefined]
          : [undefined, msg];
      }
      const md = this.#trailers ?? this.#headers ?? {};
      return [
        statusError(n, Number.isInteger(code) && code >= 1 && code <= 16 ? code : Code.Unknown, md),
        undefined,
      ];
    }
    if (end.kind === 'reset' && end.code === H2Error.Cancel)
      return [
        new MeshError(Code.Canceled, `${n}: call cancelled`, { type: 'cancelled' }),
        undefined,
      ];
    const http = this.#headers?.[':status'];
    if (http !== undefined && Number(http) !== 200) {
      return [
        new MeshError(
          httpToCode(Number(http)),
          `${n}: answered HTTP ${http} without a gRPC status`,
          { type: 'bad_reply' },
        ),
        undefined,
      ];
    }
    // No status: the stream was refused or reset, or the connection was lost (grpc-js: UNAVAILABLE).
    const why =
      end.kind === 'lost'
        ? end.reason
        : end.kind === 'reset'
          ? end.code === H2Error.RefusedStream
            ? 'stream refused'
            : `stream reset (${h2ErrorName(end.code)})`
          : 'the reply ended without a gRPC status';
    return [
      new MeshError(Code.Unavailable, `${n}: connection lost: ${why}`, {
        type: 'connection_failed',
      }),
      undefined,
    ];
  }

  /** The single reply message, or a string saying what is wrong with the framing. */
  #message(): Buffer | string {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    if (all.length < 5) return 'reply without a message';
    if (all[0] !== 0) return 'compressed reply (the gateway asks for none)';
    const len = all.readUInt32BE(1);
    if (all.length !== 5 + len)
      return `reply framing: ${String(all.length - 5)} bytes for a ${String(len)}-byte message`;
    return all.subarray(5);
  }
}

function statusError(name: string, code: Code, md: HeaderFields): MeshError {
  const raw = md['grpc-message'];
  let message = typeof raw === 'string' ? raw : '';
  try {
    message = decodeURIComponent(message);
  } catch {
    // keep the raw text
  }
  const type = md[ERROR_TYPE_METADATA_KEY];
  const retry = Number(md[RETRY_AFTER_METADATA_KEY]);
  return new MeshError(code, `${name}: ${message || `gRPC status ${String(code)}`}`, {
    type: typeof type === 'string' && type !== '' ? type : undefined,
    details: Number.isFinite(retry) && retry > 0 ? { retryAfterMs: retry } : {},
  });
}

/** gRPC's mapping of an HTTP status that came without a gRPC status (doc/http-grpc-status-mapping.md). */
function httpToCode(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

function noop(): void {}
