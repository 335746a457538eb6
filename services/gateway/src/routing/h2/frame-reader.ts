import {
  DEFAULT_MAX_FRAME,
  FRAME_HEADER,
  Flag,
  FrameType,
  MAX_STREAM_ID,
  unpad,
} from './frames.js';
import { H2Error, Http2ProtocolError, protocolError } from './http2-protocol-error.js';

/** The largest header block accepted (HEADERS + CONTINUATION): a gRPC reply's are a few hundred bytes. */
const MAX_HEADER_BLOCK = 64 * 1024;

/** Where the frames a reader finds go (called in order, from `push`). */
export interface FrameSink {
  /** Any frame but HEADERS and CONTINUATION. */
  frame(type: number, flags: number, streamId: number, payload: Buffer): void;
  /** A whole header block (HEADERS and its CONTINUATIONs, without padding and priority). */
  headerBlock(streamId: number, endStream: boolean, block: Buffer): void;
  /** True once the sink wants no more frames (the connection closed while reading). */
  stopped(): boolean;
}

/**
 * Cuts a connection's bytes into frames (RFC 9113 section 4): keeps a frame split over socket chunks,
 * refuses frames over the default 16 KiB (this side never announces more), and joins a header block
 * split over HEADERS + CONTINUATION frames, up to 64 KiB. Throws Http2ProtocolError (a connection error).
 */
export class FrameReader {
  /** Bytes of a frame not yet complete. */
  #rest: Buffer | undefined;
  /** A header block split over HEADERS + CONTINUATION frames. */
  #continuation:
    { streamId: number; endStream: boolean; parts: Buffer[]; bytes: number } | undefined;

  push(chunk: Buffer, sink: FrameSink): void {
    const buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    let at = 0;
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
      if (this.#continuation !== undefined && type !== FrameType.Continuation)
        throw protocolError('a header block interrupted by another frame');
      if (type === FrameType.Headers) this.#headers(flags, streamId, payload, sink);
      else if (type === FrameType.Continuation)
        this.#continuationFrame(flags, streamId, payload, sink);
      else sink.frame(type, flags, streamId, payload);
      if (sink.stopped()) return;
    }
    // Keep a partial frame; copy it out of a large chunk so the chunk can be freed.
    if (at < buf.length) this.#rest = at === 0 ? buf : Buffer.from(buf.subarray(at));
  }

  #headers(flags: number, streamId: number, payload: Buffer, sink: FrameSink): void {
    if (streamId === 0 || streamId % 2 === 0)
      throw protocolError(`HEADERS on stream ${String(streamId)}`);
    let fragment = unpad(flags, payload);
    if (flags & Flag.Priority) {
      if (fragment.length < 5) throw protocolError('HEADERS too short for its priority');
      fragment = fragment.subarray(5);
    }
    const endStream = (flags & Flag.EndStream) !== 0;
    if (flags & Flag.EndHeaders) sink.headerBlock(streamId, endStream, fragment);
    else
      this.#continuation = {
        streamId,
        endStream,
        parts: [Buffer.from(fragment)],
        bytes: fragment.length,
      };
  }

  #continuationFrame(flags: number, streamId: number, payload: Buffer, sink: FrameSink): void {
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
      sink.headerBlock(streamId, c.endStream, Buffer.concat(c.parts));
    }
  }
}
