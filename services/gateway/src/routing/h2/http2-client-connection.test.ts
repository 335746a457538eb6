// The gateway's HTTP/2 client against node:http2's server (nghttp2, an independent implementation) and
// against raw TCP servers that misbehave on purpose: flow control both ways, the peer's stream limit,
// PING, GOAWAY, RST_STREAM, and protocol errors that must fail the calls, not the process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createServer as createH2Server,
  constants,
  type Http2Server,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { once } from 'node:events';
import { Http2ClientConnection } from './http2-client-connection.js';
import type { HeaderFields, StreamEnd } from './http2-stream.js';
import { indexedField, literalField } from './hpack-encoder.js';
import { H2Error } from './http2-protocol-error.js';

interface Reply {
  headers: HeaderFields[];
  body: Buffer;
  end: StreamEnd;
}

const block = (path: string): Buffer =>
  Buffer.concat([indexedField(3), indexedField(6), literalField(4, path), literalField(1, 'test')]);

function send(c: Http2ClientConnection, path: string, body: Buffer): Promise<Reply> {
  return new Promise((resolve) => {
    const headers: HeaderFields[] = [];
    const chunks: Buffer[] = [];
    c.request(block(path), body, {
      onHeaders: (f) => void headers.push(f),
      onData: (d) => void chunks.push(Buffer.from(d)),
      onEnd: (end) => resolve({ headers, body: Buffer.concat(chunks), end }),
    });
  });
}

const portOf = (s: Http2Server | Server): number => (s.address() as AddressInfo).port;

describe('Http2ClientConnection against node:http2', () => {
  let server: Http2Server;
  let inFlight = 0;
  let maxInFlight = 0;
  before(async () => {
    // small windows and frames on the server side, so both directions need WINDOW_UPDATEs and splitting
    server = createH2Server({
      settings: { maxConcurrentStreams: 4, initialWindowSize: 1000, maxFrameSize: 16384 },
    });
    server.on('stream', (stream, headers) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chunks: Buffer[] = [];
      stream.on('error', () => {}); // the streams this server resets itself
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        const path = String(headers[':path']);
        setTimeout(() => {
          inFlight--;
          if (stream.destroyed) return;
          if (path === '/refuse') return void stream.close(constants.NGHTTP2_REFUSED_STREAM);
          const reply = path === '/big' ? Buffer.alloc(300_000, 7) : body;
          stream.respond(
            { ':status': 200, 'x-len': String(body.length) },
            { waitForTrailers: true },
          );
          stream.on('wantTrailers', () => stream.sendTrailers({ 'x-done': 'yes' }));
          stream.end(reply);
        }, 2);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  after(() => new Promise<void>((res) => server.close(() => res())));

  test('bodies and replies larger than every window and frame, over a stream limit of 4', async () => {
    let gone = 0;
    const c = new Http2ClientConnection('127.0.0.1', portOf(server), 1 << 20, () => gone++);
    const sizes = [0, 1, 999, 1000, 1001, 16_385, 70_000, 200_000];
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        send(c, '/echo', Buffer.alloc(sizes[i % sizes.length]!, i)),
      ),
    );
    replies.forEach((r, i) => {
      const n = sizes[i % sizes.length]!;
      assert.deepEqual(r.end, { kind: 'ended' });
      assert.equal(r.headers[0]?.[':status'], '200');
      assert.equal(r.headers[0]?.['x-len'], String(n));
      assert.equal(r.headers[1]?.['x-done'], 'yes');
      assert.ok(r.body.equals(Buffer.alloc(n, i)), `body ${String(i)}`);
    });
    assert.ok(maxInFlight <= 4, `the server saw ${String(maxInFlight)} streams at once`);
    // a reply larger than the connection's initial window (65,535) arrives whole
    const big = await send(c, '/big', Buffer.alloc(1));
    assert.equal(big.body.length, 300_000);
    assert.equal(c.activeStreams, 0);
    assert.equal(gone, 0);
    c.close();
  });

  test("answers the server's PING", async () => {
    const c = new Http2ClientConnection('127.0.0.1', portOf(server), 1 << 20, () => {});
    const session = once(server, 'session');
    await send(c, '/echo', Buffer.alloc(1));
    const [s] = (await session) as [ServerHttp2Session];
    const rtt = await new Promise<number>((res, rej) =>
      s.ping((err, ms) => (err ? rej(err) : res(ms))),
    );
    assert.ok(rtt >= 0);
    c.close();
  });

  test('RST_STREAM from the server ends that stream only (REFUSED_STREAM after one retry); a local reset ends it at once', async () => {
    const c = new Http2ClientConnection('127.0.0.1', portOf(server), 1 << 20, () => {});
    const refused = await send(c, '/refuse', Buffer.alloc(1));
    assert.deepEqual(refused.end, { kind: 'reset', code: H2Error.RefusedStream, byPeer: true });
    const ended = new Promise<StreamEnd>((resolve) => {
      const s = c.request(block('/echo'), Buffer.alloc(1), {
        onHeaders: () => {},
        onData: () => {},
        onEnd: resolve,
      });
      c.reset(s, H2Error.Cancel);
    });
    assert.deepEqual(await ended, { kind: 'reset', code: H2Error.Cancel, byPeer: false });
    assert.deepEqual((await send(c, '/echo', Buffer.from('ok'))).body, Buffer.from('ok'));
    c.close();
  });

  test('GOAWAY: calls in flight finish, the connection says it is gone, new ones are refused', async () => {
    let gone = 0;
    const c = new Http2ClientConnection('127.0.0.1', portOf(server), 1 << 20, () => gone++);
    const arrived = once(server, 'stream');
    const first = send(c, '/echo', Buffer.from('a'));
    const [stream] = (await arrived) as [ServerHttp2Stream];
    const s = stream.session!; // the stream has reached the server: GOAWAY will name it as processed
    s.close(); // graceful: GOAWAY with the last stream it took
    assert.deepEqual((await first).body, Buffer.from('a'));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(gone, 1);
    assert.equal(c.usable, false);
    const late = await send(c, '/echo', Buffer.from('b'));
    assert.equal(late.end.kind, 'lost');
    assert.equal(late.end.kind === 'lost' && late.end.refused, true);
  });
});

describe('Http2ClientConnection against a misbehaving peer', () => {
  // A raw TCP server: reads the client's preface, then writes `reply` (and keeps the socket open).
  let reply: Buffer = Buffer.alloc(0);
  let received: Buffer[] = [];
  let tcp: Server;
  before(async () => {
    tcp = createTcpServer((sock) => {
      sock.on('data', (d) => received.push(d));
      sock.on('error', () => {});
      setTimeout(() => sock.write(reply), 5);
    });
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
  });
  after(() => new Promise<void>((res) => tcp.close(() => res())));

  const frame = (
    type: number,
    flags: number,
    id: number,
    payload: Buffer,
    length = payload.length,
  ) => {
    const h = Buffer.alloc(9);
    h.writeUIntBE(length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(id, 5);
    return Buffer.concat([h, payload]);
  };
  const emptySettings = frame(4, 0, 0, Buffer.alloc(0));

  const cases: [string, Buffer, RegExp][] = [
    ['a frame over 16,384 bytes', frame(0, 0, 1, Buffer.alloc(0), 20_000), /20000-byte frame/],
    [
      'HEADERS with a bad HPACK block',
      frame(1, 0x4, 1, Buffer.from([0x80])),
      /HPACK: indexed header field with index 0/,
    ],
    ['PUSH_PROMISE', frame(5, 0x4, 1, Buffer.alloc(4)), /PUSH_PROMISE/],
    ['SETTINGS of the wrong length', frame(4, 0, 0, Buffer.alloc(5)), /not a multiple of 6/],
    [
      'a max frame size under the minimum',
      frame(4, 0, 0, Buffer.from([0, 5, 0, 0, 0, 1])),
      /max frame size of 1/,
    ],
    ['CONTINUATION without HEADERS', frame(9, 0x4, 1, Buffer.alloc(1)), /CONTINUATION without/],
    [
      'a header block over 64 KiB in CONTINUATION frames',
      Buffer.concat([
        frame(1, 0, 1, Buffer.alloc(16_000)),
        ...Array.from({ length: 4 }, () => frame(9, 0, 1, Buffer.alloc(16_000))),
      ]),
      /header block over 65536 bytes/,
    ],
    ['DATA on stream 0', frame(0, 0, 0, Buffer.alloc(1)), /DATA on stream 0/],
    ['a connection WINDOW_UPDATE of 0', frame(8, 0, 0, Buffer.alloc(4)), /WINDOW_UPDATE of 0/],
    [
      'padding as long as the frame',
      frame(0, 0x8, 1, Buffer.from([3, 0, 0])),
      /padding as long as the frame/,
    ],
  ];
  for (const [what, bytes, message] of cases)
    test(`${what}: the call fails with a reason, GOAWAY is sent, the process lives`, async () => {
      received = [];
      reply = Buffer.concat([emptySettings, bytes]);
      let gone = 0;
      const c = new Http2ClientConnection('127.0.0.1', portOf(tcp), 1 << 20, () => gone++);
      const r = await send(c, '/x', Buffer.alloc(3));
      assert.equal(r.end.kind, 'lost');
      assert.match(r.end.kind === 'lost' ? r.end.reason : '', message);
      assert.equal(gone, 1);
      assert.equal(c.usable, false);
      await new Promise((res) => setTimeout(res, 20));
      const sent = Buffer.concat(received);
      const goaway = sent.subarray(sent.length - 17);
      assert.equal(goaway[3], 7, 'the last frame the client sent is GOAWAY');
    });

  test('GOAWAY that names a lower stream: that stream was not processed, so it is refused (retryable)', async () => {
    const goaway = Buffer.alloc(8); // last stream 0, NO_ERROR
    reply = Buffer.concat([emptySettings, frame(7, 0, 0, goaway)]);
    let gone = 0;
    const c = new Http2ClientConnection('127.0.0.1', portOf(tcp), 1 << 20, () => gone++);
    const r = await send(c, '/x', Buffer.alloc(3));
    assert.deepEqual(r.end, {
      kind: 'lost',
      reason: 'the server is going away (GOAWAY NO_ERROR)',
      refused: true,
    });
    assert.equal(gone, 1);
  });

  test('a peer that closes the socket fails the calls in flight as lost', async () => {
    const closing = createTcpServer((sock) => sock.destroy());
    closing.listen(0, '127.0.0.1');
    await once(closing, 'listening');
    const c = new Http2ClientConnection('127.0.0.1', portOf(closing), 1 << 20, () => {});
    const r = await send(c, '/x', Buffer.alloc(3));
    assert.equal(r.end.kind, 'lost');
    closing.close();
  });
});
