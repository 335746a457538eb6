// DNS discovery against a real DNS server on a UDP socket (port 0), answering like a Kubernetes
// headless Service: one A record per worker, NXDOMAIN for an unknown name, silence when "down".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { dnsDiscovery } from './dns.js';

let server: Socket;
let port = 0;
let records: Record<string, string[]> = { 'workers.mesh.test': ['10.0.0.2', '10.0.0.1'] };
let silent = false;

before(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, rinfo) => {
    if (silent) return;
    const q = packet.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    const ips = records[name];
    const reply = packet.encode({
      type: 'response',
      id: q.id,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (ips === undefined ? 3 : 0), // rcode 3 = NXDOMAIN
      questions: q.questions,
      answers: (ips ?? []).map((data) => ({
        type: 'A' as const,
        name,
        ttl: 5,
        class: 'IN' as const,
        data,
      })),
    });
    server.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
  port = server.address().port;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const discovery = (name: string) =>
  dnsDiscovery({
    name,
    port: 50051,
    servers: [`127.0.0.1:${String(port)}`],
    timeoutMs: 200,
    logger: pino({ level: 'silent' }),
  });

test('every A record becomes a target on the given port, sorted', async () => {
  const d = discovery('workers.mesh.test');
  assert.deepEqual(
    (await d.discover()).map((t) => t.address),
    ['10.0.0.1:50051', '10.0.0.2:50051'],
  );
  records = { 'workers.mesh.test': ['10.0.0.3'] };
  assert.deepEqual(
    (await d.discover()).map((t) => [t.address, t.source]),
    [['10.0.0.3:50051', 'dns']],
  );
});

test('NXDOMAIN means no workers; a DNS outage keeps the last answer', async () => {
  assert.deepEqual(await discovery('nothing.mesh.test').discover(), []);
  records = { 'workers.mesh.test': ['10.0.0.4'] };
  const d = discovery('workers.mesh.test');
  assert.equal((await d.discover()).length, 1);
  silent = true;
  try {
    assert.deepEqual(
      (await d.discover()).map((t) => t.address),
      ['10.0.0.4:50051'],
    );
  } finally {
    silent = false;
  }
});
