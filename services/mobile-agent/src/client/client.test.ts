import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError, Code } from '@bottlenet/errors';
import { InferReply, InferRequest } from '@bottlenet/protocol';
import { InferRequestEncoder } from './infer-request-encoder.js';
import { InferReplyDecoder } from './infer-reply-decoder.js';
import { Deadlines } from './deadlines.js';

test('the hand-built InferRequest is byte-identical to the generated encoder', () => {
  const frame = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 255));
  const cases: InferRequest[] = [
    {
      model: 'scenes-resnet50-slim',
      version: '1',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: frame },
      timeoutMs: 3000,
      requestId: 'a1b2c3d4-0000-4000-8000-000000000000',
      topK: 5,
    },
    {
      model: 'm',
      version: '',
      partitionId: 'cloud',
      payload: { $case: 'inputImage', inputImage: frame.subarray(0, 3) },
      timeoutMs: 0,
      requestId: '',
      topK: 0,
    },
    {
      model: 'mödel',
      version: 'v2',
      partitionId: '',
      payload: undefined,
      timeoutMs: 2 ** 32 - 1,
      requestId: 'probe-é',
      topK: 200,
    },
    {
      model: '',
      version: '',
      partitionId: 'rb14',
      payload: { $case: 'featureFrame', featureFrame: Buffer.alloc(0) },
      timeoutMs: 1,
      requestId: 'x',
      topK: 1,
    },
  ];
  for (const r of cases) {
    const mine = new InferRequestEncoder(r.model, r.version).encode(r);
    assert.deepEqual(new Uint8Array(mine), InferRequest.encode(r).finish());
    assert.deepEqual(InferRequest.decode(mine), r);
  }
});

test('deadlines abort late calls only, on one shared timer', async () => {
  const d = new Deadlines();
  const late = d.start(20, 'gateway /v1/infer');
  const early = d.start(10_000, 'gateway /v1/infer');
  const finished = d.start(5, 'gateway /v1/plan');
  finished.done();
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(late.signal.aborted);
  const reason: unknown = late.signal.reason;
  assert.ok(
    reason instanceof MeshError &&
      reason.code === Code.DeadlineExceeded &&
      reason.type === 'timeout',
  );
  assert.match(reason.message, /gateway \/v1\/infer did not answer within 20 ms/);
  assert.equal(finished.signal.aborted, false);
  assert.equal(early.signal.aborted, false);
  early.done();
  assert.equal(d.size, 0);
});

/** What the agent reads of a reply, by the generated decoder. */
function generated(bytes: Uint8Array): { topK: unknown[]; totalUs: number } {
  const r = InferReply.decode(bytes);
  return {
    topK: r.topK.map((s) => ({ classIndex: s.classIndex, label: s.label, score: s.score })),
    totalUs: r.timings?.totalUs ?? 0,
  };
}

test('the hand decoder reads what the generated InferReply decoder reads, skipping the rest', () => {
  const classes = ['cat', 'dog', 'bird', 'ünïcode'];
  const full: InferReply = {
    requestId: 'a1b2c3d4-0000-4000-8000-000000000000',
    topK: [
      { classIndex: 1, label: 'dog', score: 0.7 },
      { classIndex: 3, label: 'ünïcode', score: 0.2 },
      { classIndex: 0, label: 'not the manifest name', score: 0.05 },
      { classIndex: 9, label: 'beyond the classes', score: 1e-9 },
      { classIndex: 2, label: '', score: 0 },
    ],
    timings: { queueUs: 10, decodeUs: 20, computeUs: 30, totalUs: 123_456, batchSize: 4 },
    load: {
      workerId: 'w1',
      queueDepth: 3,
      inFlight: 2,
      capacity: 8,
      queueCapacity: 64,
      partitions: [
        {
          model: 'm',
          version: '1',
          partitionId: 'rb1',
          queueDepth: 1,
          inFlight: 1,
          ewmaServiceMs: 1.5,
          ewmaBatchSize: 2.5,
          ewmaQueueMs: 0.25,
          maxBatchSize: 8,
          completedTotal: 2 ** 40,
        },
      ],
      timestampMs: Date.now(),
    },
    workerId: 'w1',
    model: 'm',
    version: '1',
    partitionId: 'rb1',
  };
  const unknown = Buffer.from(
    [
      '78ffffffff0f', // field 15, varint
      '81010102030405060708', // field 16, fixed64
      '8a0103090909', // field 17, bytes
      '950101020304', // field 18, fixed32
      '120d' + '0802' + '2807' + '1d0000803f' + '1202646f', // a score with an unknown field 5 inside
      '1a020805', // a second timings without total_us: it replaces the first
    ].join(''),
    'hex',
  );
  const cases: Uint8Array[] = [
    InferReply.encode(full).finish(),
    InferReply.encode({ ...full, timings: undefined, load: undefined, topK: [] }).finish(),
    new Uint8Array(0),
    Buffer.concat([InferReply.encode(full).finish(), unknown]),
    Buffer.concat([unknown, InferReply.encode(full).finish()]),
  ];
  const d = new InferReplyDecoder(classes);
  for (const bytes of cases) {
    const mine = d.decode(Buffer.from(bytes));
    assert.deepEqual(
      { topK: mine.topK.map((s) => ({ ...s })), totalUs: mine.totalUs },
      generated(bytes),
    );
  }
  // manifest labels are the manifest's own strings
  const again = d.decode(Buffer.from(cases[0]!));
  assert.equal(again.topK[1]!.label, classes[3]);
  assert.equal(new InferReplyDecoder().decode(Buffer.from(cases[0]!)).topK[0]!.label, 'dog');
});

test('a malformed reply is Internal / bad_reply, as the generated decoder throws', () => {
  const good = Buffer.from(
    InferReply.encode({
      requestId: 'x',
      topK: [{ classIndex: 1, label: 'dog', score: 0.5 }],
      timings: undefined,
      load: undefined,
      workerId: '',
      model: '',
      version: '',
      partitionId: '',
    }).finish(),
  );
  const d = new InferReplyDecoder(['cat', 'dog']);
  for (const [bytes, why] of [
    [good.subarray(0, good.length - 2), /runs past/],
    [Buffer.from([0x12, 0x05, 0x1d, 0, 0]), /runs past/],
    [Buffer.from([0x08, 0x80]), /varint runs past the end/],
    [Buffer.from([0x0b]), /wire type 3/],
  ] as const) {
    assert.throws(() => InferReply.decode(bytes));
    assert.throws(
      () => d.decode(bytes),
      (e: unknown) =>
        e instanceof MeshError &&
        e.code === Code.Internal &&
        e.type === 'bad_reply' &&
        why.test(e.message) &&
        /gateway \/v1\/infer reply is not a valid InferReply/.test(e.message),
    );
  }
  // stricter than the generated reader: a varint of more than 10 bytes is not protobuf
  assert.throws(
    () => d.decode(Buffer.from('08ffffffffffffffffffff01', 'hex')),
    (e: unknown) =>
      e instanceof MeshError && e.type === 'bad_reply' && /longer than 10/.test(e.message),
  );
});

test('a late Infer is DeadlineExceeded / timeout: in the HTTP call and in the emulated uplink wait', async () => {
  const { createServer } = await import('node:http');
  const { GatewayClient } = await import('./gateway-client.js');
  const { LinkEmulator } = await import('../link/index.js');
  const server = createServer(() => {
    // never answers
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const model = { name: 'm', version: '1', classes: ['a'] };
  const call = { partitionId: 'rb1', timeoutMs: 50, requestId: 'r', topK: 1 };
  const late = (e: unknown): boolean =>
    e instanceof MeshError &&
    e.code === Code.DeadlineExceeded &&
    e.type === 'timeout' &&
    /gateway \/v1\/infer did not answer within 50 ms/.test(e.message);
  const plain = new GatewayClient({ baseUrl: `http://127.0.0.1:${port}` });
  // 10 kB over 0.1 Mbps: the uplink alone takes 800 ms
  const slow = new GatewayClient({
    baseUrl: `http://127.0.0.1:${port}`,
    link: new LinkEmulator(0.1, 0),
  });
  try {
    const t0 = performance.now();
    await assert.rejects(plain.infer(model, call, 50), late);
    await assert.rejects(
      slow.infer(
        model,
        { ...call, payload: { $case: 'inputImage', inputImage: new Uint8Array(10_000) } },
        50,
      ),
      late,
    );
    assert.ok(performance.now() - t0 < 600, 'both calls ended at their deadlines');
  } finally {
    await plain.close();
    await slow.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
