// The embedded load bus driven by a real ioredis client (the library the load monitor and gateway use),
// with the same connect options they use (connectionName, no offline queue, ready check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import {
  globToRegExp,
  parseCommands,
  startEmbeddedLoadBus,
  type EmbeddedLoadBus,
} from './embedded-load-bus.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function setup(t: {
  after: (f: () => Promise<void>) => void;
}): Promise<{ bus: EmbeddedLoadBus; client: (name?: string) => Promise<Redis>; logs: string[] }> {
  const logs: string[] = [];
  const bus = await startEmbeddedLoadBus({ onLog: (l) => logs.push(l), sweepMs: 50 });
  const clients: Redis[] = [];
  t.after(async () => {
    for (const c of clients) c.disconnect();
    await bus.close();
  });
  const client = async (name = 'test'): Promise<Redis> => {
    const r = new Redis(bus.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectionName: name,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    clients.push(r);
    await r.connect();
    assert.equal(r.status, 'ready');
    return r;
  };
  return { bus, client, logs };
}

/** Sends raw bytes and collects what comes back until the server closes or `ms` passes. */
async function raw(
  port: number,
  bytes: string | Buffer,
  ms = 300,
): Promise<{ reply: string; closed: boolean }> {
  const s: Socket = connect(port, '127.0.0.1');
  let reply = '';
  let closed = false;
  s.on('data', (d: Buffer) => (reply += d.toString()));
  s.on('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  s.on('error', () => undefined);
  s.write(bytes);
  const end = Date.now() + ms;
  while (!closed && Date.now() < end) await sleep(10);
  s.destroy();
  return { reply, closed };
}

test('ioredis connects (CLIENT SETNAME/SETINFO, INFO ready check) and PING/ECHO answer', async (t) => {
  const { client } = await setup(t);
  const r = await client('gateway-reader');
  assert.equal(await r.ping(), 'PONG');
  assert.equal(await r.echo('hi'), 'hi');
  assert.equal(await r.client('GETNAME'), 'gateway-reader');
  assert.match(await r.info(), /loading:0/);
});

test('SET with PX expires; GET, MGET, DEL, EXISTS, PTTL', async (t) => {
  const { client } = await setup(t);
  const r = await client();
  assert.equal(await r.set('a', 'one', 'PX', 150), 'OK');
  assert.equal(await r.set('b', 'two'), 'OK');
  assert.equal(await r.get('a'), 'one');
  const ttl = await r.pttl('a');
  assert.ok(ttl > 0 && ttl <= 150, `pttl ${ttl}`);
  assert.equal(await r.pttl('b'), -1);
  assert.equal(await r.pttl('nope'), -2);
  assert.deepEqual(await r.mget('a', 'b', 'nope'), ['one', 'two', null]);
  await sleep(200);
  assert.equal(await r.get('a'), null);
  assert.deepEqual(await r.mget(['a', 'b']), [null, 'two']);
  assert.equal(await r.exists('a', 'b'), 1);
  assert.equal(await r.del('a', 'b', 'c'), 1);
  assert.equal(await r.get('b'), null);
  assert.equal(await r.set('n', 'x', 'PX', 1000, 'NX'), 'OK');
  assert.equal(await r.set('n', 'y', 'PX', 1000, 'NX'), null);
  await assert.rejects(r.set('n', 'x', 'PX', 0), /invalid expire time/);
  await assert.rejects(r.call('SET', 'n', 'x', 'PX', 'soon'), /not an integer/);
});

test('HSET (object form, as the monitor writes it) with PEXPIRE in a pipeline; WRONGTYPE', async (t) => {
  const { client } = await setup(t);
  const r = await client();
  const results = await r
    .pipeline()
    .hset('w:1', { id: 'w1', ready: '1', queueDepth: '3' })
    .pexpire('w:1', 150)
    .set('summary', '{"x":1}', 'PX', 150)
    .publish('changes', '{"x":1}')
    .exec();
  assert.deepEqual(results, [
    [null, 3],
    [null, 1],
    [null, 'OK'],
    [null, 0],
  ]);
  assert.deepEqual(await r.hgetall('w:1'), { id: 'w1', ready: '1', queueDepth: '3' });
  assert.equal(await r.hset('w:1', 'ready', '0'), 0);
  assert.equal(await r.hget('w:1', 'ready'), '0');
  await assert.rejects(r.get('w:1'), /WRONGTYPE/);
  await assert.rejects(r.hset('summary', 'f', 'v'), /WRONGTYPE/);
  assert.equal(await r.pexpire('missing', 100), 0);
  await sleep(250); // past the TTL; the sweeper (50 ms here) or the lookup drops it
  assert.deepEqual(await r.hgetall('w:1'), {});
  assert.deepEqual(await r.keys('*'), []);
});

test('KEYS and SCAN with MATCH, as registry discovery pages through them', async (t) => {
  const { client } = await setup(t);
  const r = await client();
  for (const k of [
    'bottlenet:registry:a',
    'bottlenet:registry:b',
    'bottlenet:worker:a',
    'other:registry:c',
  ])
    await r.set(k, '127.0.0.1:1');
  assert.deepEqual((await r.keys('bottlenet:registry:*')).sort(), [
    'bottlenet:registry:a',
    'bottlenet:registry:b',
  ]);
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', 'bottlenet:registry:*', 'COUNT', 200);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  assert.deepEqual(found.sort(), ['bottlenet:registry:a', 'bottlenet:registry:b']);
  assert.deepEqual((await r.keys('bottlenet:??????:a')).sort(), ['bottlenet:worker:a']);
  assert.deepEqual(await r.scan('0'), ['0', await r.keys('*')]);
  await assert.rejects(r.call('SCAN', '0', 'TYPE', 'string'), /syntax error/);
});

test('glob matching follows Redis: * ? [set] [^set] and escapes', () => {
  const m = (p: string, s: string): boolean => globToRegExp(p).test(s);
  assert.ok(m('a*', 'abc') && m('a*', 'a') && !m('a*', 'ba'));
  assert.ok(m('h?llo', 'hello') && !m('h?llo', 'hllo'));
  assert.ok(m('h[ae]llo', 'hallo') && !m('h[ae]llo', 'hillo'));
  assert.ok(m('h[^e]llo', 'hallo') && !m('h[^e]llo', 'hello'));
  assert.ok(m('a\\*b', 'a*b') && !m('a\\*b', 'axb'));
  assert.ok(m('x.y(z)+', 'x.y(z)+') && !m('x.y', 'xzy'));
});

test('PUBLISH reaches every subscriber (message events); subscribed mode refuses other commands', async (t) => {
  const { bus, client } = await setup(t);
  const sub1 = await client('sub1');
  const sub2 = await client('sub2');
  const pub = await client('pub');
  const got: string[] = [];
  sub1.on('message', (ch: string, msg: string) => got.push(`1 ${ch} ${msg}`));
  sub2.on('message', (ch: string, msg: string) => got.push(`2 ${ch} ${msg}`));
  assert.equal(await sub1.subscribe('bottlenet:cloud:changed'), 1);
  assert.equal(await sub2.subscribe('bottlenet:cloud:changed', 'other'), 2);
  assert.equal(await pub.publish('bottlenet:cloud:changed', '{"v":1}'), 2);
  assert.equal(await pub.publish('other', 'o'), 1);
  assert.equal(await pub.publish('nobody', 'x'), 0);
  for (let i = 0; i < 50 && got.length < 3; i++) await sleep(10);
  assert.deepEqual(got.sort(), [
    '1 bottlenet:cloud:changed {"v":1}',
    '2 bottlenet:cloud:changed {"v":1}',
    '2 other o',
  ]);
  await sub2.unsubscribe('other');
  assert.equal(await pub.publish('other', 'o'), 0);
  // a subscribed connection may only (un)subscribe, ping and quit (ioredis itself refuses first)
  await assert.rejects(sub1.call('GET', 'x'), /subscriber mode|only \(P\|S\)SUBSCRIBE/i);
  const raw1 = await raw(
    bus.port,
    '*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n',
  );
  assert.match(raw1.reply, /subscribe[\s\S]*-ERR Can't execute 'get'/);
  await sub1.quit();
});

test('an unknown command is a clear error naming it and what is implemented; the connection stays usable', async (t) => {
  const { client } = await setup(t);
  const r = await client();
  await assert.rejects(r.call('ZADD', 'z', '1', 'm'), (err: Error) => {
    assert.match(
      err.message,
      /^ERR unknown command 'zadd' \(embedded load bus implements only PING .*HSET.*SUBSCRIBE/,
    );
    return true;
  });
  await assert.rejects(r.call('CLIENT', 'KILL', 'x'), /unknown subcommand/);
  await assert.rejects(r.select(3), /only db 0/);
  assert.equal(await r.select(0), 'OK');
  await assert.rejects(r.call('GET'), /wrong number of arguments for 'get'/);
  assert.equal(await r.ping(), 'PONG');
});

test('MULTI/EXEC runs the queued commands together; an unknown command aborts it', async (t) => {
  const { client } = await setup(t);
  const r = await client();
  assert.deepEqual(await r.multi().set('k', 'v').get('k').hset('h', 'f', 'v').exec(), [
    [null, 'OK'],
    [null, 'v'],
    [null, 1],
  ]);
  await assert.rejects(r.multi().set('k', 'w').call('ZADD', 'z', '1', 'm').exec(), /EXECABORT/);
  assert.equal(await r.get('k'), 'v');
});

test('malformed RESP gets a protocol error and that connection closes; the server keeps serving', async (t) => {
  const { bus, client, logs } = await setup(t);
  const r = await client();
  for (const bad of [
    '*2\r\n$3\r\nGET\r\n:1\r\n',
    '*1\r\n$x\r\n',
    '*1\r\n$3\r\nGETXX\r\n',
    '*99999999999\r\n',
    `*1\r\n$${2 ** 30}\r\n`,
    Buffer.from([0x2a, 0xff, 0xfe, 0x0d, 0x0a]),
  ]) {
    const res = await raw(bus.port, bad);
    assert.match(res.reply, /^-ERR Protocol error: /, JSON.stringify(bad.toString()));
    assert.ok(res.closed, `closed after ${JSON.stringify(bad.toString())}`);
  }
  assert.equal(logs.filter((l) => l.includes('protocol error')).length, 6);
  // an inline command (telnet style) and a command split across writes both work
  assert.equal((await raw(bus.port, 'PING\r\n')).reply, '+PONG\r\n');
  const s = connect(bus.port, '127.0.0.1');
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  await new Promise<void>((res) => s.once('connect', () => res()));
  for (const part of ['*2\r\n$4\r\nEC', 'HO\r\n$5\r', '\nhello\r\n']) {
    s.write(part);
    await sleep(20);
  }
  for (let i = 0; i < 50 && got === ''; i++) await sleep(10);
  s.destroy();
  assert.equal(got, '$5\r\nhello\r\n');
  // a half-sent command from a client that goes away leaves nothing behind
  await raw(bus.port, '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc', 50);
  assert.equal(await r.get('k'), null);
  assert.equal(await r.ping(), 'PONG');
});

test('parseCommands keeps incomplete input for later and rejects a bad bulk length', () => {
  const full = Buffer.from('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\n');
  const p = parseCommands(full);
  assert.deepEqual(
    p.commands.map((c) => c.map(String)),
    [['PING']],
  );
  assert.equal(p.offset, 14);
  assert.throws(() => parseCommands(Buffer.from('*1\r\n$-5\r\n')), /invalid bulk length/);
});

test('close() drops connected clients and frees the port', async () => {
  const bus = await startEmbeddedLoadBus();
  const r = new Redis(bus.url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  await r.connect();
  const closed = new Promise<void>((res) => r.once('end', () => res()));
  await bus.close();
  await closed;
  assert.equal(r.status, 'end');
  await assert.rejects(raw(bus.port, 'PING\r\n'), /ECONNREFUSED/);
});
