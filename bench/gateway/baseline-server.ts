// A bare node:http server for calibration: reads the body, answers a small JSON object. Its
// throughput and round trip are the floor any Node HTTP service has on this machine at this moment.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const n = Buffer.concat(chunks).length;
    const body = JSON.stringify({ ok: true, bytes: n });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(
    `baseline listening ${String(typeof a === 'object' && a !== null ? a.port : 0)}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
