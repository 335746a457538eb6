// The peer's control frames, read and checked on their own (the connection tests drive them end to end),
// and the DATA frames a request body is cut into under flow control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkPing,
  readGoaway,
  readRstStream,
  readSettings,
  readWindowUpdate,
} from './control-frames.js';
import { FRAME_HEADER, Flag, Setting, dataFrames } from './frames.js';
import { H2Error, Http2ProtocolError } from './http2-protocol-error.js';

function setting(id: number, value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(id, 0);
  b.writeUInt32BE(value, 2);
  return b;
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v, 4 * i));
  return b;
}

/** Throws an Http2ProtocolError with exactly this code and message. */
function rejects(fn: () => unknown, code: H2Error, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Http2ProtocolError);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  });
}

test('SETTINGS: values in order, acknowledgements, and every malformed kind named', () => {
  const payload = Buffer.concat([
    setting(Setting.MaxConcurrentStreams, 100),
    setting(Setting.InitialWindowSize, 65_535),
  ]);
  assert.deepEqual(readSettings(0, 0, payload), {
    ack: false,
    values: [
      [Setting.MaxConcurrentStreams, 100],
      [Setting.InitialWindowSize, 65_535],
    ],
  });
  assert.deepEqual(readSettings(Flag.Ack, 0, Buffer.alloc(0)), { ack: true });
  rejects(() => readSettings(0, 1, payload), H2Error.ProtocolError, 'SETTINGS on a stream');
  rejects(
    () => readSettings(Flag.Ack, 0, payload),
    H2Error.FrameSizeError,
    'a SETTINGS acknowledgement with a payload',
  );
  rejects(
    () => readSettings(0, 0, Buffer.alloc(7)),
    H2Error.FrameSizeError,
    'a SETTINGS payload not a multiple of 6',
  );
  rejects(
    () => readSettings(0, 0, setting(Setting.InitialWindowSize, 2 ** 31)),
    H2Error.FlowControlError,
    'an initial window over 2^31-1',
  );
  rejects(
    () => readSettings(0, 0, setting(Setting.MaxFrameSize, 16_383)),
    H2Error.ProtocolError,
    'a max frame size of 16383',
  );
  rejects(
    () => readSettings(0, 0, setting(Setting.MaxFrameSize, 0x1000000)),
    H2Error.ProtocolError,
    'a max frame size of 16777216',
  );
});

test('GOAWAY, WINDOW_UPDATE, RST_STREAM, PING: fields read, malformed frames named', () => {
  assert.deepEqual(readGoaway(0, u32(0x80000007, H2Error.NoError)), {
    lastStreamId: 7, // the reserved bit is ignored
    code: H2Error.NoError,
  });
  rejects(() => readGoaway(1, u32(7, 0)), H2Error.ProtocolError, 'a malformed GOAWAY');
  rejects(() => readGoaway(0, u32(7)), H2Error.ProtocolError, 'a malformed GOAWAY');

  assert.equal(readWindowUpdate(0, u32(0x80000010)), 16);
  assert.equal(readWindowUpdate(3, u32(0)), 0); // a stream's 0 is the connection's to answer
  rejects(
    () => readWindowUpdate(0, u32(0)),
    H2Error.ProtocolError,
    'a connection WINDOW_UPDATE of 0',
  );
  rejects(
    () => readWindowUpdate(0, Buffer.alloc(3)),
    H2Error.FrameSizeError,
    'a WINDOW_UPDATE not 4 bytes long',
  );

  assert.equal(readRstStream(5, u32(H2Error.Cancel)), H2Error.Cancel);
  rejects(() => readRstStream(0, u32(0)), H2Error.ProtocolError, 'a malformed RST_STREAM');
  rejects(() => readRstStream(5, Buffer.alloc(5)), H2Error.ProtocolError, 'a malformed RST_STREAM');

  checkPing(0, Buffer.alloc(8));
  rejects(() => checkPing(1, Buffer.alloc(8)), H2Error.ProtocolError, 'a malformed PING');
  rejects(() => checkPing(0, Buffer.alloc(7)), H2Error.ProtocolError, 'a malformed PING');
});

/** [length, flags] of each DATA frame in `frames` (header, payload, header, payload, ...). */
function shapes(frames: Buffer[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < frames.length; i += 2) {
    assert.equal(frames[i]!.length, FRAME_HEADER);
    out.push([frames[i]!.readUIntBE(0, 3), frames[i]![4]!]);
    assert.equal(frames[i + 1]!.length, frames[i]!.readUIntBE(0, 3));
  }
  return out;
}

test('a body is cut into DATA frames by the frame size and stopped by the window', () => {
  const body = Buffer.alloc(40_000, 7);
  const all = dataFrames(1, body, 16_384, 1 << 20);
  assert.deepEqual(shapes(all.frames), [
    [16_384, 0],
    [16_384, 0],
    [7_232, Flag.EndStream],
  ]);
  assert.deepEqual([all.sent, all.ended], [40_000, true]);

  const part = dataFrames(1, body, 16_384, 20_000);
  assert.deepEqual(shapes(part.frames), [
    [16_384, 0],
    [3_616, 0],
  ]);
  assert.deepEqual([part.sent, part.ended], [20_000, false]);

  const none = dataFrames(1, body, 16_384, 0);
  assert.deepEqual([none.frames.length, none.sent, none.ended], [0, 0, false]);

  // an empty body still ends the stream, window or not: an empty DATA frame costs no window
  const empty = dataFrames(1, Buffer.alloc(0), 16_384, 0);
  assert.deepEqual(shapes(empty.frames), [[0, Flag.EndStream]]);
  assert.deepEqual([empty.sent, empty.ended], [0, true]);
});
