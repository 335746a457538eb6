// The real service process (src/main.ts through tsx): start on port 0, serve, drain on SIGTERM, exit 0;
// refuse to start with a message naming the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { status } from '@grpc/grpc-js';
import { loadModelRepository } from '@bottlenet/model-repo';
import { AgentEncoder, TINY_MODEL_DIR, WorkerClient, fashionMnistTest } from './testing/index.js';

const PKG = resolve(new URL('.', import.meta.url).pathname, '..');

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: PKG,
    env: {
      ...process.env,
      WORKER_GRPC_HOST: '127.0.0.1',
      WORKER_GRPC_PORT: '0',
      WORKER_METRICS_PORT: '0',
      WORKER_METRICS_HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const serving = new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        lines.push(rec);
        if (rec['msg'] === 'worker SERVING') resolvePort(rec['grpcPort'] as number);
      } catch {
        // not JSON
      }
    });
    void exited.then((code) =>
      reject(new Error(`exited ${code} before SERVING; stderr: ${stderr}`)),
    );
  });
  return { child, lines, exited, serving, stderr: () => stderr };
}

test('SIGTERM drains queued requests, refuses new ones and exits 0', async () => {
  const repo = await loadModelRepository(TINY_MODEL_DIR);
  const enc = await AgentEncoder.open(repo, 'rb1');
  const frames = await enc.encode(fashionMnistTest(8).images.pixels, 8);
  await enc.release();
  // A long queue delay keeps requests queued when SIGTERM arrives.
  const p = startMain({
    WORKER_MODELS: TINY_MODEL_DIR,
    WORKER_MAX_QUEUE_DELAY_MS: '400',
    WORKER_WARMUP_RUNS: '1',
    WORKER_INTRA_OP_THREADS: '1',
  });
  const port = await p.serving;
  const client = new WorkerClient(`127.0.0.1:${port}`);
  try {
    const req = (f: Uint8Array) => ({
      model: 'fmnist-tiny',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame' as const, featureFrame: Buffer.from(f) },
    });
    // Connected and warm first (one request pays the 400 ms delay), so SIGTERM finds the 8 below queued.
    await client.infer(req(frames[0]!));
    const queued = frames.map((f) => client.infer(req(f)));
    await new Promise((r) => setTimeout(r, 100));
    p.child.kill('SIGTERM');
    const replies = await Promise.all(queued);
    assert.equal(replies.length, 8);
    assert.ok(replies.every((r) => r.topK.length === 5));
    // After SIGTERM nothing new is served: UNAVAILABLE from the draining worker or from a closed port.
    const late = await client.inferError(req(frames[0]!), { deadlineMs: 2000 });
    assert.ok(
      [status.UNAVAILABLE, status.DEADLINE_EXCEEDED].includes(late.code),
      `late request got ${late.code} ${late.details}`,
    );
    assert.equal(await p.exited, 0, p.stderr());
    assert.ok(p.lines.some((l) => l['msg'] === 'worker stopped' && l['drained'] === true));
  } finally {
    client.close();
    p.child.kill('SIGKILL');
  }
});

test('a bad config or repository exits 1 with a message naming the problem', async () => {
  const badPort = startMain({ WORKER_MODELS: TINY_MODEL_DIR, WORKER_GRPC_PORT: '99999' });
  badPort.serving.catch(() => undefined);
  assert.equal(await badPort.exited, 1);
  assert.match(badPort.stderr(), /grpc\.port/);
  const noRepo = startMain({ WORKER_MODELS: '/nonexistent/repo' });
  noRepo.serving.catch(() => undefined);
  assert.equal(await noRepo.exited, 1);
  const fatal = noRepo.lines.find((l) => l['level'] === 60);
  assert.match(String(fatal?.['msg']), /cannot start: .*\/nonexistent\/repo/);
});
