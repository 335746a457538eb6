// The floors the gateway's CPU per request is compared with (bench/gateway/floor.ts starts one process
// per mode):
//   http        node:http: reads the body, answers fixed bytes                     (any Node HTTP service)
//   fastify     fastify 5 with the gateway's body parsers, answers fixed bytes    (fastify's hello world)
//   http-h2     node:http + the gateway's gRPC unary client to a worker: the reply bytes passed back
//   fastify-h2  fastify + the same client                      (the least a fastify gateway does per infer)
// Usage: node --conditions=source --import tsx bench/gateway/floor-server.ts <mode> [worker host:port]
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify from 'fastify';
import { GrpcUnaryChannel } from '@bottlenet/gateway';
import { InferenceServiceService } from '@bottlenet/protocol';

const mode = process.argv[2] ?? 'http';
const worker = process.argv[3];
const channel = worker === undefined ? undefined : new GrpcUnaryChannel(worker);
const INFER = InferenceServiceService.infer.path;
const FIXED = Buffer.alloc(120, 1);
const PLAN_REPLY = JSON.stringify({
  model: 'x',
  candidates: new Array(6).fill({ latencyMs: 1.5 }),
});
const PROTOBUF = 'application/x-protobuf';

function forward(body: Buffer, cb: (reply: Buffer) => void, fail: (err: Error) => void): void {
  if (channel === undefined) {
    cb(FIXED);
    return;
  }
  channel.call(INFER, body, Date.now() + 5000, (err, reply) => {
    if (err === undefined && reply !== undefined) cb(reply);
    else fail(err ?? new Error('no reply'));
  });
}

function startHttp(): void {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (req.url === '/v1/plan') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(PLAN_REPLY);
        return;
      }
      forward(
        body,
        (reply) => {
          res.writeHead(200, { 'content-type': PROTOBUF, 'content-length': reply.length });
          res.end(reply);
        },
        (err) => res.writeHead(502).end(err.message),
      );
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`floor listening ${String(typeof a === 'object' && a ? a.port : 0)}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

async function startFastify(): Promise<void> {
  const app = Fastify();
  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/v1/plan', (_req, reply) =>
    reply.type('application/json; charset=utf-8').send(PLAN_REPLY),
  );
  app.post('/v1/infer', (req, reply) => {
    forward(
      req.body as Buffer,
      (bytes) => void reply.type(PROTOBUF).send(bytes),
      (err) => void reply.code(502).send(err.message),
    );
    return reply;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address();
  process.stdout.write(`floor listening ${String(typeof a === 'object' && a ? a.port : 0)}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

if (mode.startsWith('fastify')) await startFastify();
else startHttp();
