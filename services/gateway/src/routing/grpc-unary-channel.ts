import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { Code, MeshError } from '@bottlenet/errors';
import { ERROR_TYPE_METADATA_KEY, RETRY_AFTER_METADATA_KEY } from '@bottlenet/protocol';

/** The outcome of one unary call: the reply message bytes, or a gRPC status as a MeshError. */
export type UnaryCallback = (err: MeshError | undefined, reply: Buffer | undefined) => void;

/** Cancels a call in progress (the stream is reset with CANCEL; the callback gets CANCELLED). */
export type CancelFn = () => void;

const {
  HTTP2_HEADER_METHOD,
  HTTP2_HEADER_PATH,
  HTTP2_HEADER_STATUS,
  HTTP2_HEADER_CONTENT_TYPE,
  HTTP2_HEADER_TE,
  NGHTTP2_CANCEL,
  NGHTTP2_REFUSED_STREAM,
} = constants;

/**
 * A gRPC unary client for one worker over one HTTP/2 connection (node:http2), carrying message bytes
 * as they are: the gateway forwards the caller's InferRequest bytes and passes the worker's reply bytes
 * back, so it needs no (de)serialisation, no interceptors, no retry machinery and no service config,
 * which are most of grpc-js's per-call cost (see docs/control-plane.md, "Why not grpc-js on the hot
 * path"). It implements the parts of the gRPC-over-HTTP/2 protocol a unary call uses: the
 * length-prefixed message, `grpc-timeout`, `grpc-status`/`grpc-message` in trailers or trailers-only
 * replies, HTTP status mapping, RST_STREAM and connection failures (UNAVAILABLE, as grpc-js reports
 * them). A lost connection is re-dialled by the next call; the gateway's suspect marks keep a dead
 * worker at the back of the queue meanwhile.
 */
export class GrpcUnaryChannel {
  readonly #authority: string;
  readonly #name: string;
  #session: ClientHttp2Session | undefined;
  #closed = false;

  /** `address` is `host:port` (plaintext HTTP/2, as the workers serve it); `name` prefixes error messages. */
  constructor(address: string, name: string = address) {
    this.#authority = `http://${address}`;
    this.#name = name;
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
    let stream: ClientHttp2Stream;
    try {
      stream = this.#connected().request(
        {
          [HTTP2_HEADER_METHOD]: 'POST',
          [HTTP2_HEADER_PATH]: path,
          [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
          [HTTP2_HEADER_TE]: 'trailers',
          'grpc-timeout': `${String(timeoutMs)}m`,
        },
        { endStream: false },
      );
    } catch (err) {
      // The session went away between the check and the request (ERR_HTTP2_INVALID_SESSION, GOAWAY).
      this.#drop();
      callback(
        new MeshError(
          Code.Unavailable,
          `${this.#name}: cannot start a call: ${(err as Error).message}`,
          { type: 'connection_failed', cause: err },
        ),
        undefined,
      );
      return noop;
    }
    new UnaryCall(stream, this.#name, timeoutMs, callback);
    stream.end(framed);
    return () => {
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    };
  }

  /** Closes the connection; calls in progress finish first (GOAWAY), new calls fail UNAVAILABLE. */
  close(): void {
    this.#closed = true;
    this.#session?.close();
    this.#session = undefined;
  }

  #connected(): ClientHttp2Session {
    const s = this.#session;
    if (s !== undefined && !s.closed && !s.destroyed) return s;
    const session = connect(this.#authority, { settings: { enablePush: false } });
    const drop = (): void => {
      if (this.#session === session) this.#session = undefined;
    };
    // A failed or lost connection fails its streams (UNAVAILABLE, below); the next call re-dials.
    session.on('error', drop);
    session.on('goaway', drop);
    session.on('close', drop);
    session.unref(); // the HTTP server keeps the process alive, not an idle worker connection
    this.#session = session;
    return session;
  }

  #drop(): void {
    const s = this.#session;
    this.#session = undefined;
    s?.destroy();
  }
}

/** One call's state: headers, message bytes, trailers, then exactly one callback. */
class UnaryCall {
  readonly #stream: ClientHttp2Stream;
  readonly #name: string;
  readonly #callback: UnaryCallback;
  readonly #timer: NodeJS.Timeout;
  #headers: IncomingHttpHeaders | undefined;
  #trailers: IncomingHttpHeaders | undefined;
  #chunks: Buffer[] = [];
  #error: Error | undefined;
  #deadlineHit = false;
  #done = false;

  constructor(stream: ClientHttp2Stream, name: string, timeoutMs: number, callback: UnaryCallback) {
    this.#stream = stream;
    this.#name = name;
    this.#callback = callback;
    this.#timer = setTimeout(() => {
      this.#deadlineHit = true;
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    }, timeoutMs);
    stream.on('response', (h: IncomingHttpHeaders) => {
      this.#headers = h;
    });
    stream.on('data', (c: Buffer) => this.#chunks.push(c));
    stream.on('trailers', (t: IncomingHttpHeaders) => {
      this.#trailers = t;
    });
    stream.on('error', (err: Error) => {
      this.#error = err;
    });
    stream.on('close', () => this.#finish());
    stream.resume();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    const [err, reply] = this.#outcome();
    this.#callback(err, reply);
  }

  #outcome(): [MeshError | undefined, Buffer | undefined] {
    const n = this.#name;
    if (this.#deadlineHit)
      return [
        new MeshError(Code.DeadlineExceeded, `${n}: deadline exceeded waiting for the reply`, {
          type: 'deadline',
        }),
        undefined,
      ];
    // gRPC status: in the trailers, or in the headers of a trailers-only reply.
    const st = this.#trailers?.['grpc-status'] ?? this.#headers?.['grpc-status'];
    if (st !== undefined) {
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
    const rst = this.#stream.rstCode;
    if (rst === NGHTTP2_CANCEL)
      return [
        new MeshError(Code.Canceled, `${n}: call cancelled`, { type: 'cancelled' }),
        undefined,
      ];
    const http = this.#headers?.[HTTP2_HEADER_STATUS];
    if (http !== undefined && Number(http) !== 200) {
      return [
        new MeshError(
          httpToCode(Number(http)),
          `${n}: answered HTTP ${String(http)} without a gRPC status`,
          { type: 'bad_reply' },
        ),
        undefined,
      ];
    }
    // No status: the stream was refused or reset, or the connection was lost (grpc-js: UNAVAILABLE).
    const why =
      this.#error?.message ??
      (rst === NGHTTP2_REFUSED_STREAM
        ? 'stream refused'
        : rst !== undefined && rst !== 0
          ? `stream reset (code ${String(rst)})`
          : 'connection closed');
    return [
      new MeshError(Code.Unavailable, `${n}: connection lost: ${why}`, {
        type: 'connection_failed',
        cause: this.#error,
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

function statusError(name: string, code: Code, md: IncomingHttpHeaders): MeshError {
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
