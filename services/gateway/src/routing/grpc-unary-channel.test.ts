// The gateway's gRPC unary client against a real grpc-js server on a free port: reply bytes, status and
// trailers, deadlines both ways, cancellation, an unreachable worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { Code, MeshError } from '@bottlenet/errors';
import { ERROR_TYPE_METADATA_KEY, RETRY_AFTER_METADATA_KEY } from '@bottlenet/protocol';
import { createServer as createH2Server } from 'node:http2';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { GrpcUnaryChannel, MAX_REPLY_BYTES } from './grpc-unary-channel.js';

const id = (b: Buffer): Buffer => b;
const call = (ch: GrpcUnaryChannel, path: string, msg: Buffer, timeoutMs = 2000) =>
  new Promise<{ err: MeshError | undefined; reply: Buffer | undefined }>((resolve) => {
    ch.call(path, msg, Date.now() + timeoutMs, (err, reply) => resolve({ err, reply }));
  });

describe('GrpcUnaryChannel', () => {
  const server = new Server();
  let address = '';
  let lastDeadlineMs = NaN;
  before(async () => {
    const unary = (
      name: string,
      fn: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => void,
    ): void => {
      server.register(`/test.T/${name}`, fn, id, id, 'unary');
    };
    unary('Echo', (c, cb) => {
      const d = c.getDeadline();
      lastDeadlineMs = (d instanceof Date ? d.getTime() : Number(d)) - Date.now();
      cb(null, Buffer.concat([Buffer.from('re:'), c.request]));
    });
    unary('Fail', (_c, cb) => {
      const md = new Metadata();
      md.set(ERROR_TYPE_METADATA_KEY, 'queue_full');
      md.set(RETRY_AFTER_METADATA_KEY, '250');
      cb({ code: status.RESOURCE_EXHAUSTED, details: 'queue is full: 512 waiting', metadata: md });
    });
    unary('Slow', (_c, cb) => void setTimeout(() => cb(null, Buffer.alloc(0)), 300));
    unary('Huge', (_c, cb) => cb(null, Buffer.alloc(MAX_REPLY_BYTES + 1)));
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? rej(e) : res(p),
      ),
    );
    address = `127.0.0.1:${String(port)}`;
  });
  after(() => new Promise<void>((res) => server.tryShutdown(() => res())));

  test('passes the message bytes both ways, over one reused connection, with the deadline as grpc-timeout', async () => {
    const ch = new GrpcUnaryChannel(address, 'worker t');
    for (const n of [0, 1, 70_000]) {
      const { err, reply } = await call(ch, '/test.T/Echo', Buffer.alloc(n, 9), 1500);
      assert.equal(err, undefined);
      assert.deepEqual(reply, Buffer.concat([Buffer.from('re:'), Buffer.alloc(n, 9)]));
      assert.ok(
        lastDeadlineMs > 1000 && lastDeadlineMs <= 1500,
        `server saw ${String(lastDeadlineMs)} ms left`,
      );
    }
    ch.close();
  });

  test('a gRPC status keeps its code, message, error type and retry hint', async () => {
    const ch = new GrpcUnaryChannel(address, 'worker t');
    const { err } = await call(ch, '/test.T/Fail', Buffer.alloc(3));
    assert.ok(err instanceof MeshError);
    assert.equal(err.code, Code.ResourceExhausted);
    assert.equal(err.type, 'queue_full');
    assert.equal(err.details.retryAfterMs, 250);
    assert.match(err.message, /worker t: queue is full: 512 waiting/);
    const missing = await call(ch, '/test.T/Nope', Buffer.alloc(1));
    assert.equal(missing.err?.code, Code.Unimplemented);
    ch.close();
  });

  test('the deadline ends the call with DEADLINE_EXCEEDED; cancel ends it with CANCELLED', async () => {
    const ch = new GrpcUnaryChannel(address, 'worker t');
    const late = await call(ch, '/test.T/Slow', Buffer.alloc(1), 50);
    assert.equal(late.err?.code, Code.DeadlineExceeded);
    const cancelled = await new Promise<MeshError | undefined>((resolve) => {
      const cancel = ch.call('/test.T/Slow', Buffer.alloc(1), Date.now() + 2000, (err) =>
        resolve(err),
      );
      setTimeout(cancel, 20);
    });
    assert.equal(cancelled?.code, Code.Canceled);
    // The connection is still usable afterwards.
    assert.equal((await call(ch, '/test.T/Echo', Buffer.alloc(1))).err, undefined);
    ch.close();
  });

  test('an unreachable worker or a closed channel is UNAVAILABLE (retryable elsewhere)', async () => {
    const probe = new Server();
    const port = await new Promise<number>((res, rej) =>
      probe.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? rej(e) : res(p),
      ),
    );
    probe.forceShutdown(); // the port is free again: nothing listens there
    const ch = new GrpcUnaryChannel(`127.0.0.1:${String(port)}`, 'worker gone');
    const { err } = await call(ch, '/test.T/Echo', Buffer.alloc(1));
    assert.equal(err?.code, Code.Unavailable);
    assert.match(err?.message ?? '', /worker gone/);
    ch.close();
    assert.equal((await call(ch, '/test.T/Echo', Buffer.alloc(1))).err?.code, Code.Unavailable);
  });

  test('a reply over the 4 MiB limit is RESOURCE_EXHAUSTED, and the connection stays usable', async () => {
    const ch = new GrpcUnaryChannel(address, 'worker t');
    const { err } = await call(ch, '/test.T/Huge', Buffer.alloc(1));
    assert.equal(err?.code, Code.ResourceExhausted);
    assert.equal(err?.type, 'reply_too_large');
    assert.equal((await call(ch, '/test.T/Echo', Buffer.alloc(1))).err, undefined);
    ch.close();
  });

  test("an HTTP error without a gRPC status maps as gRPC's HTTP mapping says", async () => {
    const h2 = createH2Server();
    h2.on('stream', (stream) => {
      stream.on('error', () => {});
      stream.respond({ ':status': 503 }, { endStream: true });
    });
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    const ch = new GrpcUnaryChannel(
      `127.0.0.1:${String((h2.address() as AddressInfo).port)}`,
      'proxy',
    );
    const { err } = await call(ch, '/test.T/Echo', Buffer.alloc(1));
    assert.equal(err?.code, Code.Unavailable);
    assert.match(err?.message ?? '', /proxy: answered HTTP 503 without a gRPC status/);
    ch.close();
    await new Promise<void>((res) => h2.close(() => res()));
  });

  test('a worker address that is not host:port is refused up front', () => {
    for (const bad of ['worker', 'worker:', 'worker:0', 'worker:http', ':50051'])
      assert.throws(
        () => new GrpcUnaryChannel(bad),
        (e: unknown) => e instanceof MeshError && e.code === Code.InvalidArgument,
        bad,
      );
    assert.doesNotThrow(() => new GrpcUnaryChannel('[::1]:50051'));
  });
});
