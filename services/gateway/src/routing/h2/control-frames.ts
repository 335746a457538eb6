// Reading the peer's control frames (RFC 9113 section 6): each payload checked against the spec's
// rules, the connection error named, before the connection applies what it says.
import { DEFAULT_MAX_FRAME, Flag, MAX_STREAM_ID, MAX_WINDOW, Setting } from './frames.js';
import {
  H2Error,
  Http2ProtocolError,
  frameSizeError,
  protocolError,
} from './http2-protocol-error.js';

/** A SETTINGS frame: an acknowledgement of ours, or the peer's (identifier, value) pairs in order. */
export type SettingsFrame =
  | { readonly ack: true }
  | { readonly ack: false; readonly values: readonly (readonly [number, number])[] };

export function readSettings(flags: number, streamId: number, payload: Buffer): SettingsFrame {
  if (streamId !== 0) throw protocolError('SETTINGS on a stream');
  if (flags & Flag.Ack) {
    if (payload.length !== 0) throw frameSizeError('a SETTINGS acknowledgement with a payload');
    return { ack: true };
  }
  if (payload.length % 6 !== 0) throw frameSizeError('a SETTINGS payload not a multiple of 6');
  const values: (readonly [number, number])[] = [];
  for (let at = 0; at < payload.length; at += 6) {
    const id = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    if (id === Setting.InitialWindowSize && value > MAX_WINDOW)
      throw new Http2ProtocolError(H2Error.FlowControlError, 'an initial window over 2^31-1');
    if (id === Setting.MaxFrameSize && (value < DEFAULT_MAX_FRAME || value > 0xffffff))
      throw protocolError(`a max frame size of ${String(value)}`);
    values.push([id, value]);
  }
  return { ack: false, values };
}

/** The highest stream the peer processed or may process, and why it is going away. */
export function readGoaway(
  streamId: number,
  payload: Buffer,
): { readonly lastStreamId: number; readonly code: number } {
  if (streamId !== 0 || payload.length < 8) throw protocolError('a malformed GOAWAY');
  return { lastStreamId: payload.readUInt32BE(0) & MAX_STREAM_ID, code: payload.readUInt32BE(4) };
}

/**
 * The window increment. A connection increment of 0 is a connection error; a stream's is a stream
 * error, which the connection handles.
 */
export function readWindowUpdate(streamId: number, payload: Buffer): number {
  if (payload.length !== 4) throw frameSizeError('a WINDOW_UPDATE not 4 bytes long');
  const increment = payload.readUInt32BE(0) & MAX_WINDOW;
  if (streamId === 0 && increment === 0) throw protocolError('a connection WINDOW_UPDATE of 0');
  return increment;
}

/** The error code the peer reset a stream with. */
export function readRstStream(streamId: number, payload: Buffer): number {
  if (streamId === 0 || payload.length !== 4) throw protocolError('a malformed RST_STREAM');
  return payload.readUInt32BE(0);
}

export function checkPing(streamId: number, payload: Buffer): void {
  if (streamId !== 0 || payload.length !== 8) throw protocolError('a malformed PING');
}
