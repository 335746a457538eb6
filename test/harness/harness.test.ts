import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { assertNoneRunning, redisSkipReason, startProcess, startRedis, stopAll } from './index.js';

after(async () => {
  await stopAll();
  assertNoneRunning();
});

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().trim());
    });
    s.once('error', reject);
  });
}

test(
  'startRedis runs a real server on a free port, survives kill + restart, and stops',
  { skip: redisSkipReason() },
  async () => {
    const redis = await startRedis();
    assert.equal(await ping(redis.port), '+PONG');
    await redis.kill();
    await assert.rejects(ping(redis.port));
    await redis.restart();
    assert.equal(await ping(redis.port), '+PONG');
    await redis.stop();
    assert.equal(redis.process.running, false);
  },
);

test('startProcess waits for a ready line and returns the match', async () => {
  const p = await startProcess({
    name: 'echo-port',
    command: process.execPath,
    args: [
      '-e',
      'setTimeout(() => console.log("listening on 4242"), 50); setInterval(() => {}, 1000)',
    ],
    ready: { output: /listening on (\d+)/ },
  });
  assert.equal(p.readyMatch?.[1], '4242');
  assert.deepEqual(await p.stop(), { code: null, signal: 'SIGTERM' });
});

test('startProcess reports a process that exits before it is ready, with its output', async () => {
  await assert.rejects(
    startProcess({
      name: 'crasher',
      command: process.execPath,
      args: ['-e', 'console.error("bad config: port"); process.exit(3)'],
      ready: { output: /never/ },
    }),
    /crasher: exited before ready \(code 3[\s\S]*bad config: port/,
  );
});

test('stop escalates to SIGKILL when SIGTERM is ignored', async () => {
  const p = await startProcess({
    name: 'stubborn',
    command: process.execPath,
    args: ['-e', 'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)'],
    ready: { output: /up/ },
  });
  assert.deepEqual(await p.stop(200), { code: null, signal: 'SIGKILL' });
});
