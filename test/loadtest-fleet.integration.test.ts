// The device-fleet simulator (loadtest/fleet/run.ts) as a real child process against a local mesh it
// starts: a dozen agents in one process on mixed links (Wi-Fi, 4G, 3G), device speeds and objectives.
// Checks that every device classified, every request was answered, every network is represented, and
// the per-network summary agrees with the raw records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertNoneRunning,
  redisSkipReason,
  repoRoot,
  startProcess,
  stopAll,
  tsNodeArgs,
} from './harness/index.js';

interface FleetFile {
  summary: {
    devices: number;
    requests: number;
    errors: number;
    byNetwork: Record<
      string,
      { devices: number; requests: number; candidates: Record<string, number> }
    >;
  };
  devices: { id: string; network: string; slowdown: number; objective: string }[];
  records: { device: string; network: string; result: { answeredBy: string } }[];
  errors: unknown[];
}

test(
  'fleet simulator: mixed devices against a local mesh, every request answered',
  { skip: redisSkipReason(), timeout: 240_000 },
  async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'bn-fleet-'));
    t.after(async () => {
      await stopAll();
      assertNoneRunning();
      rmSync(out, { recursive: true, force: true });
    });
    const run = await startProcess({
      name: 'fleet',
      command: process.execPath,
      args: tsNodeArgs('loadtest/fleet/run.ts', [
        '--mesh',
        '--workers',
        '1',
        '--devices',
        '12',
        '--duration',
        '8',
        '--period-ms',
        '300',
        '--out',
        out,
      ]),
      cwd: repoRoot,
    });
    const status = await run.exited;
    const last = run.output().trim().split('\n').pop() ?? '';
    t.diagnostic(last);
    assert.equal(status.code, 0, run.output().slice(-3000));
    assert.match(
      last,
      /^fleet: devices=12 requests=\d+ errors=0 switches=\d+ 3g_p95_ms=\S+ 4g_p95_ms=\S+ wifi_p95_ms=\S+$/,
    );

    const f = JSON.parse(readFileSync(join(out, 'fleet.json'), 'utf8')) as FleetFile;
    assert.equal(f.devices.length, 12);
    assert.deepEqual(
      Object.fromEntries(Object.entries(f.summary.byNetwork).map(([n, s]) => [n, s.devices])),
      { '3g': 2, '4g': 4, wifi: 6 },
      'devices split by the default mix wifi=0.5,4g=0.3,3g=0.2',
    );
    assert.deepEqual(new Set(f.devices.map((d) => d.objective)), new Set(['latency', 'energy']));
    assert.deepEqual(new Set(f.devices.map((d) => d.slowdown)), new Set([50, 100, 200]));
    for (const d of f.devices)
      assert.ok(
        f.records.some((r) => r.device === d.id),
        `${d.id} classified`,
      );
    assert.deepEqual(f.errors, []);
    assert.equal(f.summary.requests, f.records.length);
    for (const [n, s] of Object.entries(f.summary.byNetwork)) {
      assert.equal(
        s.requests,
        f.records.filter((r) => r.network === n).length,
        `${n}: summary agrees with the records`,
      );
    }
  },
);
