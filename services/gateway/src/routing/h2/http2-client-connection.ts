import { connect, type Socket } from 'node:net';
import { HpackDecoder } from './hpack-decoder.js';
import { H2Error, Http2ProtocolError, h2ErrorName } from './http2-protocol-error.js';

/** Decoded fields of one header block; pseudo-headers (`:status`) included. */
export type HeaderFields = Record<string, string>;

/** How a stream ended, as its handler learns it (exactly once). */
export type StreamEnd =
  | { readonly kind: 'ended' } // the peer closed it normally (END_STREAM)
  | { readonly kind: 'reset'; readonly code: number; readonly byPeer: boolean }
  | { readonly kind: 'lost'; readonly reason: string; readonly refused: boolean };

/** What one request's owner is told. Called from the connection's read loop: keep it short. */
export interface StreamHandler {
  onHeaders(fields: HeaderFields, endStream: boolean): void;
  onData(chunk: Buffer): void;
  onEnd(end: StreamEnd): void;
}

/** A request on the connection: what `reset` needs. */
export interface Http2Stream {
  readonly id: number;
}

const FrameType = {
  Data: 0x0,
  Headers: 0x1,
  Priority: 0x2,
  RstStream: 0x3,
  Settings: 0x4,
  PushPromise: 0x5,
  Ping: 0x6,
  Goaway: 0x7,
  WindowUpdate: 0x8,
  Continuation: 0x9,
} as const;

const Flag = {
  EndStream: 0x1,
  Ack: 0x1,
  EndHeaders: 0x4,
  Padded: 0x8,
  Priority: 0x20,
} as const;

const Setting = {
  HeaderTableSize: 0x1,
  EnablePush: 0x2,
  MaxConcurrentStreams: 0x3,
  InitialWindowSize: 0x4,
  MaxFrameSize: 0x5,
} as const;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;
const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
const MAX_WINDOW = 0x7fffffff;
const MAX_STREAM_ID = 0x7fffffff;
/** The connection-level receive window this side keeps open (re-granted when half is used). */
const CONNECTION_RECEIVE_WINDOW = 16 * 1024 * 1024;
/** The largest header block accepted (HEADERS + CONTINUATION): a gRPC reply's are a few hundred bytes. */
const MAX_HEADER_BLOCK = 64 * 1024;
/** Our HPACK table size (the default: we announce no other). */
const HEADER_TABLE_SIZE = 4096;

interface OpenStream {
  readonly id: number;
  readonly request: QueuedRequest;
  readonly handler: StreamHandler;
  /** What the peer may still receive on this stream (its SETTINGS_INITIAL_WINDOW_SIZE, then updates). */
  sendWindow: number;
  /** Request bytes not yet sent for want of flow-control window. */
  pending: Buffer | undefined;
}

interface QueuedRequest {
  readonly block: Buffer;
  readonly body: Buffer;
  readonly handler: StreamHandler;
  readonly stream: { id: number };
  /** Opened again after the peer refused it unprocessed (REFUSED_STREAM). */
  retried: boolean;
}

/**
 * The client side of one HTTP/2 connection (RFC 9113) over a plain TCP socket, for requests whose body
 * is known when they start (gRPC unary calls). It does what node:http2 does for such a client, without
 * its per-stream Duplex, header objects and nghttp2 round trips, which cost most of a forwarded call's
 * CPU in the gateway (docs/control-plane.md): one socket write per request (HEADERS + DATA), frames
 * parsed straight from the socket's chunks, HPACK decoding of the peer's blocks, both directions of
 * flow control, SETTINGS, PING, GOAWAY, RST_STREAM and the peer's stream limit (requests over it wait).
 * It sends no priorities, no pushes are accepted, no pings are sent and there is no TLS (the workers
 * serve plaintext gRPC inside the cluster).
 */
export class Http2ClientConnection {
  readonly #socket: Socket;
  readonly #onGone: () => void;
  readonly #decoder = new HpackDecoder(HEADER_TABLE_SIZE);
  readonly #streams = new Map<number, OpenStream>();
  readonly #queued: QueuedRequest[] = [];
  #nextStreamId = 1;
  // the peer's settings
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = DEFAULT_MAX_FRAME;
  #peerMaxStreams = Number.POSITIVE_INFINITY;
  /** Requests wait for the peer's first SETTINGS: opening more streams than it allows gets them refused. */
  #peerSettingsSeen = false;
  #connectionSendWindow = DEFAULT_WINDOW;
  #receivedSinceUpdate = 0;
  /** Bytes of a frame not yet complete. */
  #rest: Buffer | undefined;
  /** A header block split over HEADERS + CONTINUATION frames. */
  #continuation:
    { streamId: number; endStream: boolean; parts: Buffer[]; bytes: number } | undefined;
  /** GOAWAY received or sent: no new streams. */
  #draining = false;
  #closed = false;
  #socketError: Error | undefined;

  /**
   * `streamReceiveWindow`: the response bytes the peer may send on one stream without waiting (size it
   * to the largest response the owner accepts; the owner resets a stream that goes over). `onGone` is
   * called once, when the connection can take no new requests (GOAWAY, error, close).
   */
  constructor(host: string, port: number, streamReceiveWindow: number, onGone: () => void) {
    this.#onGone = onGone;
    const socket = connect({ host, port, noDelay: true });
    this.#socket = socket;
    socket.unref(); // the server keeps the process alive, not an idle worker connection
    // Written before the connection is up; the socket queues it. Our receive windows are large so the
    // peer never waits for WINDOW_UPDATE on a reply of allowed size.
    const streamWindow = Math.min(MAX_WINDOW, streamReceiveWindow);
    socket.write(
      Buffer.concat([
        PREFACE,
        settingsFrame([
          [Setting.EnablePush, 0],
          [Setting.InitialWindowSize, streamWindow],
        ]),
        windowUpdateFrame(0, CONNECTION_RECEIVE_WINDOW - DEFAULT_WINDOW),
      ]),
    );
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', (err) => {
      this.#socketError = err;
    });
    socket.on('close', () => this.#lost(this.#socketError?.message ?? 'connection closed', false));
  }

  /** False once the connection takes no new requests. */
  get usable(): boolean {
    return !this.#draining && !this.#closed;
  }

  /** Requests open (sent, not yet ended) and waiting for the peer's stream limit. */
  get activeStreams(): number {
    return this.#streams.size + this.#queued.length;
  }

  /**
   * Starts a request: `block` is its encoded header block, `body` the whole request body (sent with
   * END_STREAM). The handler hears the response. While not `usable`, the handler hears at once that
   * the request was lost (refused: safe to send elsewhere).
   */
  request(block: Buffer, body: Buffer, handler: StreamHandler): Http2Stream {
    const stream = { id: 0 };
    if (!this.usable) {
      handler.onEnd({ kind: 'lost', reason: 'connection closing', refused: true });
      return stream;
    }
    const q: QueuedRequest = { block, body, handler, stream, retried: false };
    if (!this.#canOpen() || this.#queued.length > 0) this.#queued.push(q);
    else this.#open(q);
    return stream;
  }

  /** Ends a request from this side with RST_STREAM `code`; its handler hears a reset (not by the peer). */
  reset(stream: Http2Stream, code: H2Error): void {
    const s = this.#streams.get(stream.id);
    if (s !== undefined) {
      this.#write(rstStreamFrame(s.id, code));
      this.#end(s, { kind: 'reset', code, byPeer: false });
      return;
    }
    const i = this.#queued.findIndex((q) => q.stream === stream);
    if (i >= 0) {
      const [q] = this.#queued.splice(i, 1);
      q!.handler.onEnd({ kind: 'reset', code, byPeer: false });
    }
  }

  /** Stops new requests; the connection closes (GOAWAY) once the open ones end. */
  close(): void {
    if (this.#closed) return;
    this.#stopNew();
    this.#closeIfIdle();
  }

  #canOpen(): boolean {
    return this.#peerSettingsSeen && this.#streams.size < this.#peerMaxStreams && this.usable;
  }

  #open(q: QueuedRequest): void {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    if (this.#nextStreamId > MAX_STREAM_ID) this.#stopNew(); // stream ids used up: a new connection
    q.stream.id = id;
    const s: OpenStream = {
      id,
      request: q,
      handler: q.handler,
      sendWindow: this.#peerInitialWindow,
      pending: undefined,
    };
    this.#streams.set(id, s);
    const headers = headerFrames(id, q.block, this.#peerMaxFrame);
    const body = q.body;
    if (
      body.length <= this.#peerMaxFrame &&
      body.length <= s.sendWindow &&
      body.length <= this.#connectionSendWindow
    ) {
      // the usual case: HEADERS and the whole body in one DATA frame, one write
      s.sendWindow -= body.length;
      this.#connectionSendWindow -= body.length;
      const out = Buffer.allocUnsafe(headers.length + FRAME_HEADER + body.length);
      headers.copy(out, 0);
      writeFrameHeader(out, headers.length, body.length, FrameType.Data, Flag.EndStream, id);
      body.copy(out, headers.length + FRAME_HEADER);
      this.#write(out);
    } else {
      this.#write(headers);
      s.pending = body;
      this.#flush(s);
    }
  }

  /** Sends what flow control allows of a stream's pending body. */
  #flush(s: OpenStream): void {
    let body = s.pending;
    if (body === undefined) return;
    const frames: Buffer[] = [];
    for (;;) {
      const n = Math.min(body.length, this.#peerMaxFrame, s.sendWindow, this.#connectionSendWindow);
      if (n <= 0 && body.length > 0) break;
      const last = n === body.length;
      const head = Buffer.allocUnsafe(FRAME_HEADER);
      writeFrameHeader(head, 0, n, FrameType.Data, last ? Flag.EndStream : 0, s.id);
      frames.push(head, body.subarray(0, n));
      s.sendWindow -= n;
      this.#connectionSendWindow -= n;
      body = body.subarray(n);
      if (last) break;
    }
    s.pending = frames.length > 0 && body.length === 0 ? undefined : body;
    if (frames.length === 0) return;
    this.#socket.cork();
    for (const f of frames) this.#socket.write(f);
    this.#socket.uncork();
  }

  #flushAll(): void {
    for (const s of this.#streams.values()) {
      if (this.#connectionSendWindow <= 0) break;
      if (s.pending !== undefined) this.#flush(s);
    }
    while (this.#queued.length > 0 && this.#canOpen()) this.#open(this.#queued.shift()!);
  }

  #write(buf: Buffer): void {
    if (!this.#closed) this.#socket.write(buf);
  }

  // --- reading ------------------------------------------------------------------------------------

  #read(chunk: Buffer): void {
    if (this.#closed) return; // bytes after a protocol error, while the socket drains
    const buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    let at = 0;
    try {
      while (buf.length - at >= FRAME_HEADER) {
        const length = buf.readUIntBE(at, 3);
        if (length > DEFAULT_MAX_FRAME)
          throw new Http2ProtocolError(
            H2Error.FrameSizeError,
            `a ${String(length)}-byte frame, over the ${String(DEFAULT_MAX_FRAME)} bytes allowed`,
          );
        if (buf.length - at - FRAME_HEADER < length) break;
        const type = buf[at + 3]!;
        const flags = buf[at + 4]!;
        const streamId = buf.readUInt32BE(at + 5) & MAX_STREAM_ID;
        const payload = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
        at += FRAME_HEADER + length;
        this.#frame(type, flags, streamId, payload);
        if (this.#closed) return;
      }
    } catch (err) {
      if (!(err instanceof Http2ProtocolError)) throw err;
      this.#lost(`protocol error from the peer: ${err.message}`, false, err.code);
      return;
    }
    // Keep a partial frame; copy it out of a large chunk so the chunk can be freed.
    if (at < buf.length) this.#rest = at === 0 ? buf : Buffer.from(buf.subarray(at));
  }

  #frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#continuation !== undefined && type !== FrameType.Continuation)
      throw protocolError('a header block interrupted by another frame');
    switch (type) {
      case FrameType.Data:
        return this.#data(flags, streamId, payload);
      case FrameType.Headers:
        return this.#headers(flags, streamId, payload);
      case FrameType.Continuation:
        return this.#continuationFrame(flags, streamId, payload);
      case FrameType.RstStream:
        return this.#rstStream(streamId, payload);
      case FrameType.Settings:
        return this.#settings(flags, streamId, payload);
      case FrameType.Ping:
        if (streamId !== 0 || payload.length !== 8) throw protocolError('a malformed PING');
        if ((flags & Flag.Ack) === 0) this.#write(pingAckFrame(payload));
        return;
      case FrameType.Goaway:
        return this.#goaway(streamId, payload);
      case FrameType.WindowUpdate:
        return this.#windowUpdate(streamId, payload);
      case FrameType.PushPromise:
        throw protocolError('PUSH_PROMISE, though push is disabled');
      case FrameType.Priority:
      default:
        return; // priorities are advice; unknown frame types must be ignored
    }
  }

  #data(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw protocolError('DATA on stream 0');
    this.#receivedSinceUpdate += payload.length;
    if (this.#receivedSinceUpdate >= CONNECTION_RECEIVE_WINDOW / 2) {
      this.#write(windowUpdateFrame(0, this.#receivedSinceUpdate));
      this.#receivedSinceUpdate = 0;
    }
    const s = this.#streams.get(streamId);
    if (s === undefined) return; // a stream this side already ended: the peer may still be sending
    const data = unpad(flags, payload);
    if (data.length > 0) s.handler.onData(data);
    // the handler may have reset the stream
    if (flags & Flag.EndStream && this.#streams.has(streamId)) this.#end(s, { kind: 'ended' });
  }

  #headers(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || streamId % 2 === 0)
      throw protocolError(`HEADERS on stream ${String(streamId)}`);
    let fragment = unpad(flags, payload);
    if (flags & Flag.Priority) {
      if (fragment.length < 5) throw protocolError('HEADERS too short for its priority');
      fragment = fragment.subarray(5);
    }
    const endStream = (flags & Flag.EndStream) !== 0;
    if (flags & Flag.EndHeaders) this.#headerBlock(streamId, endStream, fragment);
    else
      this.#continuation = {
        streamId,
        endStream,
        parts: [Buffer.from(fragment)],
        bytes: fragment.length,
      };
  }

  #continuationFrame(flags: number, streamId: number, payload: Buffer): void {
    const c = this.#continuation;
    if (c === undefined || c.streamId !== streamId)
      throw protocolError('CONTINUATION without the HEADERS it continues');
    c.bytes += payload.length;
    if (c.bytes > MAX_HEADER_BLOCK)
      throw new Http2ProtocolError(
        H2Error.EnhanceYourCalm,
        `a header block over ${String(MAX_HEADER_BLOCK)} bytes`,
      );
    c.parts.push(Buffer.from(payload));
    if (flags & Flag.EndHeaders) {
      this.#continuation = undefined;
      this.#headerBlock(streamId, c.endStream, Buffer.concat(c.parts));
    }
  }

  #headerBlock(streamId: number, endStream: boolean, block: Buffer): void {
    const fields: HeaderFields = Object.create(null) as HeaderFields;
    // Decoded even for an ended stream: the HPACK table is shared by the whole connection.
    this.#decoder.decode(block, (name, value) => {
      const prev = fields[name];
      fields[name] = prev === undefined ? value : `${prev}, ${value}`;
    });
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    s.handler.onHeaders(fields, endStream);
    if (endStream && this.#streams.has(streamId)) this.#end(s, { kind: 'ended' });
  }

  #rstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0 || payload.length !== 4) throw protocolError('a malformed RST_STREAM');
    const s = this.#streams.get(streamId);
    if (s !== undefined)
      this.#end(s, { kind: 'reset', code: payload.readUInt32BE(0), byPeer: true });
  }

  #settings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw protocolError('SETTINGS on a stream');
    if (flags & Flag.Ack) {
      if (payload.length !== 0) throw frameSizeError('a SETTINGS acknowledgement with a payload');
      return;
    }
    if (payload.length % 6 !== 0) throw frameSizeError('a SETTINGS payload not a multiple of 6');
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      switch (id) {
        case Setting.MaxConcurrentStreams:
          this.#peerMaxStreams = value;
          break;
        case Setting.InitialWindowSize: {
          if (value > MAX_WINDOW)
            throw new Http2ProtocolError(H2Error.FlowControlError, 'an initial window over 2^31-1');
          const delta = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const s of this.#streams.values()) s.sendWindow += delta;
          break;
        }
        case Setting.MaxFrameSize:
          if (value < DEFAULT_MAX_FRAME || value > 0xffffff)
            throw protocolError(`a max frame size of ${String(value)}`);
          this.#peerMaxFrame = value;
          break;
        default:
          // HEADER_TABLE_SIZE: our encoder keeps no table; others need nothing from a client
          break;
      }
    }
    this.#write(settingsAckFrame());
    this.#peerSettingsSeen = true;
    this.#flushAll();
  }

  #goaway(streamId: number, payload: Buffer): void {
    if (streamId !== 0 || payload.length < 8) throw protocolError('a malformed GOAWAY');
    const last = payload.readUInt32BE(0) & MAX_STREAM_ID;
    const code = payload.readUInt32BE(4);
    this.#stopNew();
    // Streams above `last` were never processed: safe to retry elsewhere.
    for (const s of [...this.#streams.values()])
      if (s.id > last)
        this.#end(s, {
          kind: 'lost',
          reason: `the server is going away (GOAWAY ${h2ErrorName(code)})`,
          refused: true,
        });
    for (const q of this.#queued.splice(0))
      q.handler.onEnd({ kind: 'lost', reason: 'the server is going away (GOAWAY)', refused: true });
    this.#closeIfIdle();
  }

  #windowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw frameSizeError('a WINDOW_UPDATE not 4 bytes long');
    const increment = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId === 0) {
      if (increment === 0) throw protocolError('a connection WINDOW_UPDATE of 0');
      this.#connectionSendWindow += increment;
      if (this.#connectionSendWindow > MAX_WINDOW)
        throw new Http2ProtocolError(H2Error.FlowControlError, 'the connection window over 2^31-1');
    } else {
      const s = this.#streams.get(streamId);
      if (s === undefined) return;
      s.sendWindow += increment;
      if (increment === 0 || s.sendWindow > MAX_WINDOW) {
        this.#write(rstStreamFrame(s.id, H2Error.FlowControlError));
        this.#end(s, { kind: 'lost', reason: 'a bad stream WINDOW_UPDATE', refused: false });
        return;
      }
    }
    this.#flushAll();
  }

  // --- ending -------------------------------------------------------------------------------------

  #end(s: OpenStream, end: StreamEnd): void {
    if (!this.#streams.delete(s.id)) return;
    if (s.pending !== undefined && end.kind === 'ended') {
      // The peer answered before reading the whole request: stop sending it (RFC 9113 8.1).
      this.#write(rstStreamFrame(s.id, H2Error.NoError));
    }
    s.pending = undefined;
    s.handler.onEnd(end);
    if (this.#draining) this.#closeIfIdle();
    else if (this.#queued.length > 0) this.#flushAll();
  }

  #stopNew(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#onGone();
  }

  #closeIfIdle(): void {
    if (this.#closed || this.#streams.size > 0 || this.#queued.length > 0) return;
    this.#write(goawayFrame(0, H2Error.NoError));
    this.#closed = true;
    this.#socket.end();
  }

  /**
   * The socket is gone or must go: every open and queued request is lost (retryable elsewhere). With
   * `goaway`, the peer is told why before the socket closes.
   */
  #lost(reason: string, refused: boolean, goaway?: H2Error): void {
    const wasOpen = !this.#closed;
    this.#closed = true;
    this.#stopNew();
    const ended: StreamEnd = { kind: 'lost', reason, refused };
    const open = [...this.#streams.values()];
    this.#streams.clear();
    for (const s of open) s.handler.onEnd(ended);
    for (const q of this.#queued.splice(0)) q.handler.onEnd(ended);
    if (goaway !== undefined && wasOpen) {
      this.#socket.write(goawayFrame(0, goaway));
      this.#socket.destroySoon();
    } else this.#socket.destroy();
  }
}

// --- frames ---------------------------------------------------------------------------------------

function writeFrameHeader(
  out: Buffer,
  at: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  out.writeUIntBE(length, at, 3);
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(streamId, at + 5);
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  payload.copy(out, FRAME_HEADER);
  return out;
}

/** HEADERS, plus CONTINUATION frames when the block is larger than the peer's frame size. */
function headerFrames(streamId: number, block: Buffer, maxFrame: number): Buffer {
  if (block.length <= maxFrame) return frame(FrameType.Headers, Flag.EndHeaders, streamId, block);
  const parts: Buffer[] = [];
  for (let at = 0; at < block.length; at += maxFrame) {
    const piece = block.subarray(at, at + maxFrame);
    const last = at + maxFrame >= block.length;
    parts.push(
      frame(
        at === 0 ? FrameType.Headers : FrameType.Continuation,
        last ? Flag.EndHeaders : 0,
        streamId,
        piece,
      ),
    );
  }
  return Buffer.concat(parts);
}

function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FrameType.Settings, 0, 0, payload);
}

function settingsAckFrame(): Buffer {
  return frame(FrameType.Settings, Flag.Ack, 0, Buffer.alloc(0));
}

function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return frame(FrameType.WindowUpdate, 0, streamId, payload);
}

function rstStreamFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return frame(FrameType.RstStream, 0, streamId, payload);
}

function pingAckFrame(payload: Buffer): Buffer {
  return frame(FrameType.Ping, Flag.Ack, 0, payload);
}

function goawayFrame(lastStreamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  return frame(FrameType.Goaway, 0, 0, payload);
}

/** A DATA or HEADERS payload without its padding (PADDED flag). */
function unpad(flags: number, payload: Buffer): Buffer {
  if ((flags & Flag.Padded) === 0) return payload;
  if (payload.length < 1) throw protocolError('a padded frame without its pad length');
  const pad = payload[0]!;
  if (pad >= payload.length) throw protocolError('padding as long as the frame');
  return payload.subarray(1, payload.length - pad);
}

function protocolError(what: string): Http2ProtocolError {
  return new Http2ProtocolError(H2Error.ProtocolError, what);
}

function frameSizeError(what: string): Http2ProtocolError {
  return new Http2ProtocolError(H2Error.FrameSizeError, what);
}
