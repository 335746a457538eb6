// HTTP/2 frame layout (RFC 9113 section 4 and 6): the constants and the frames this client writes.
import { protocolError } from './http2-protocol-error.js';

export const FrameType = {
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

export const Flag = {
  EndStream: 0x1,
  Ack: 0x1,
  EndHeaders: 0x4,
  Padded: 0x8,
  Priority: 0x20,
} as const;

export const Setting = {
  HeaderTableSize: 0x1,
  EnablePush: 0x2,
  MaxConcurrentStreams: 0x3,
  InitialWindowSize: 0x4,
  MaxFrameSize: 0x5,
} as const;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER = 9;
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_WINDOW = 0x7fffffff;
export const MAX_STREAM_ID = 0x7fffffff;

export function writeFrameHeader(
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

export function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  payload.copy(out, FRAME_HEADER);
  return out;
}

/** HEADERS, plus CONTINUATION frames when the block is larger than the peer's frame size. */
export function headerFrames(streamId: number, block: Buffer, maxFrame: number): Buffer {
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

export function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FrameType.Settings, 0, 0, payload);
}

/**
 * What a client sends first: the preface, its SETTINGS (no push; `streamWindow` per stream) and a
 * WINDOW_UPDATE opening the connection's receive window to `connectionWindow`.
 */
export function clientPreface(streamWindow: number, connectionWindow: number): Buffer {
  return Buffer.concat([
    PREFACE,
    settingsFrame([
      [Setting.EnablePush, 0],
      [Setting.InitialWindowSize, streamWindow],
    ]),
    windowUpdateFrame(0, connectionWindow - DEFAULT_WINDOW),
  ]);
}

/** A request in one buffer: HEADERS (the whole block) then one DATA frame with the body and END_STREAM. */
export function headersAndBodyFrames(streamId: number, block: Buffer, body: Buffer): Buffer {
  const dataAt = FRAME_HEADER + block.length;
  const out = Buffer.allocUnsafe(dataAt + FRAME_HEADER + body.length);
  writeFrameHeader(out, 0, block.length, FrameType.Headers, Flag.EndHeaders, streamId);
  block.copy(out, FRAME_HEADER);
  writeFrameHeader(out, dataAt, body.length, FrameType.Data, Flag.EndStream, streamId);
  body.copy(out, dataAt + FRAME_HEADER);
  return out;
}

/**
 * DATA frames for as much of `body` as `window` allows, each at most `maxFrame` bytes, END_STREAM on the
 * one that ends the body (an empty body still gets that frame: it costs no window). `sent`: body bytes
 * framed; `ended`: the END_STREAM frame is among them.
 */
export function dataFrames(
  streamId: number,
  body: Buffer,
  maxFrame: number,
  window: number,
): { frames: Buffer[]; sent: number; ended: boolean } {
  const frames: Buffer[] = [];
  let at = 0;
  for (;;) {
    const n = Math.min(body.length - at, maxFrame, window - at);
    if (n <= 0 && at < body.length) return { frames, sent: at, ended: false };
    const last = at + n === body.length;
    const head = Buffer.allocUnsafe(FRAME_HEADER);
    writeFrameHeader(head, 0, n, FrameType.Data, last ? Flag.EndStream : 0, streamId);
    frames.push(head, body.subarray(at, at + n));
    at += n;
    if (last) return { frames, sent: at, ended: true };
  }
}

export function settingsAckFrame(): Buffer {
  return frame(FrameType.Settings, Flag.Ack, 0, Buffer.alloc(0));
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return frame(FrameType.WindowUpdate, 0, streamId, payload);
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return frame(FrameType.RstStream, 0, streamId, payload);
}

export function pingAckFrame(payload: Buffer): Buffer {
  return frame(FrameType.Ping, Flag.Ack, 0, payload);
}

export function goawayFrame(lastStreamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  return frame(FrameType.Goaway, 0, 0, payload);
}

/** A DATA or HEADERS payload without its padding (PADDED flag). */
export function unpad(flags: number, payload: Buffer): Buffer {
  if ((flags & Flag.Padded) === 0) return payload;
  if (payload.length < 1) throw protocolError('a padded frame without its pad length');
  const pad = payload[0]!;
  if (pad >= payload.length) throw protocolError('padding as long as the frame');
  return payload.subarray(1, payload.length - pad);
}
