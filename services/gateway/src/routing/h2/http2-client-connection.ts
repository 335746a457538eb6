import { connect, type Socket } from 'node:net';
import { FrameReader, type FrameSink } from './frame-reader.js';
import { HpackDecoder } from './hpack-decoder.js';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  Flag,
  FrameType,
  MAX_STREAM_ID,
  MAX_WINDOW,
  Setting,
  clientPreface,
  dataFrames,
  goawayFrame,
  headerFrames,
  headersAndBodyFrames,
  pingAckFrame,
  rstStreamFrame,
  settingsAckFrame,
  unpad,
  windowUpdateFrame,
} from './frames.js';
import {
  checkPing,
  readGoaway,
  readRstStream,
  readSettings,
  readWindowUpdate,
} from './control-frames.js';
import { H2Error, Http2ProtocolError, h2ErrorName, protocolError } from './http2-protocol-error.js';
import type { Http2Stream, StreamEnd, StreamHandler } from './http2-stream.js';

/** The connection-level receive window this side keeps open (re-granted when half is used). */
const CONNECTION_RECEIVE_WINDOW = 16 * 1024 * 1024;
/** Our HPACK table size (the default: we announce no other). */
const HEADER_TABLE_SIZE = 4096;

interface OpenStream {
  readonly id: number;
  readonly request: QueuedRequest;
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
  readonly #reader = new FrameReader();
  readonly #sink: FrameSink = {
    frame: (type, flags, streamId, payload) => this.#frame(type, flags, streamId, payload),
    headerBlock: (streamId, endStream, block) => this.#headerBlock(streamId, endStream, block),
    stopped: () => this.#closed,
  };
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
    socket.write(clientPreface(streamWindow, CONNECTION_RECEIVE_WINDOW));
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
      sendWindow: this.#peerInitialWindow,
      pending: undefined,
    };
    this.#streams.set(id, s);
    const { block, body } = q;
    if (
      block.length <= this.#peerMaxFrame &&
      body.length <= this.#peerMaxFrame &&
      body.length <= s.sendWindow &&
      body.length <= this.#connectionSendWindow
    ) {
      // the usual case: HEADERS and the whole body in one DATA frame, built in place, one write
      s.sendWindow -= body.length;
      this.#connectionSendWindow -= body.length;
      this.#write(headersAndBodyFrames(id, block, body));
    } else {
      const headers = headerFrames(id, block, this.#peerMaxFrame);
      this.#write(headers);
      s.pending = body;
      this.#flush(s);
    }
  }

  /** Sends what flow control allows of a stream's pending body. */
  #flush(s: OpenStream): void {
    const body = s.pending;
    if (body === undefined) return;
    const window = Math.min(s.sendWindow, this.#connectionSendWindow);
    const { frames, sent, ended } = dataFrames(s.id, body, this.#peerMaxFrame, window);
    s.sendWindow -= sent;
    this.#connectionSendWindow -= sent;
    s.pending = ended ? undefined : body.subarray(sent);
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
    try {
      this.#reader.push(chunk, this.#sink);
    } catch (err) {
      if (!(err instanceof Http2ProtocolError)) throw err;
      this.#lost(`protocol error from the peer: ${err.message}`, false, err.code);
    }
  }

  #frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    switch (type) {
      case FrameType.Data:
        return this.#data(flags, streamId, payload);
      case FrameType.RstStream:
        return this.#rstStream(streamId, payload);
      case FrameType.Settings:
        return this.#settings(flags, streamId, payload);
      case FrameType.Ping:
        checkPing(streamId, payload);
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
    if (data.length > 0) s.request.handler.onData(data);
    // the handler may have reset the stream
    if (flags & Flag.EndStream && this.#streams.has(streamId)) this.#end(s, { kind: 'ended' });
  }

  #headerBlock(streamId: number, endStream: boolean, block: Buffer): void {
    // Decoded even for an ended stream: the HPACK table is shared by the whole connection.
    const fields = this.#decoder.decodeFields(block);
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    s.request.handler.onHeaders(fields, endStream);
    if (endStream && this.#streams.has(streamId)) this.#end(s, { kind: 'ended' });
  }

  #rstStream(streamId: number, payload: Buffer): void {
    const code = readRstStream(streamId, payload);
    const s = this.#streams.get(streamId);
    if (s !== undefined) this.#end(s, { kind: 'reset', code, byPeer: true });
  }

  #settings(flags: number, streamId: number, payload: Buffer): void {
    const frame = readSettings(flags, streamId, payload);
    if (frame.ack) return;
    for (const [id, value] of frame.values) {
      switch (id) {
        case Setting.MaxConcurrentStreams:
          this.#peerMaxStreams = value;
          break;
        case Setting.InitialWindowSize: {
          const delta = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const s of this.#streams.values()) s.sendWindow += delta;
          break;
        }
        case Setting.MaxFrameSize:
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
    const { lastStreamId: last, code } = readGoaway(streamId, payload);
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
    const increment = readWindowUpdate(streamId, payload);
    if (streamId === 0) {
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
    s.request.handler.onEnd(end);
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
    for (const s of open) s.request.handler.onEnd(ended);
    for (const q of this.#queued.splice(0)) q.handler.onEnd(ended);
    if (goaway !== undefined && wasOpen) {
      this.#socket.write(goawayFrame(0, goaway));
      this.#socket.destroySoon();
    } else this.#socket.destroy();
  }
}
