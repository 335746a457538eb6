import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetsonPower, profileComputeMw, requestEnergyMj } from './index.js';

test('energy is TM*PM + TU*PU in millijoules', () => {
  assert.ok(
    Math.abs(
      requestEnergyMj({ mobileMs: 10, computeMw: 5000, uploadMs: 100, uploadMw: 1773.758 }) -
        227.3758,
    ) < 1e-9,
  );
  assert.equal(profileComputeMw('jetson-tx2'), 5000);
  assert.equal(profileComputeMw('jetson-tx2', 1234), 1234);
  assert.throws(() => profileComputeMw('pixel'), /unknown power profile "pixel"/);
});

test('reads TX2-style iio rails, preferring the total input rail', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rails-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'bus/i2c/drivers/ina3221x/0-0041/iio:device1');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'rail_name_0'), 'VDD_IN\n');
  writeFileSync(join(dir, 'in_power0_input'), '4200\n');
  writeFileSync(join(dir, 'rail_name_1'), 'VDD_SYS_GPU\n');
  writeFileSync(join(dir, 'in_power1_input'), '1500\n');
  const p = new JetsonPower(root);
  assert.deepEqual(p.railNames, ['VDD_IN']);
  assert.equal(p.readMw(), 4200);
});

test('reads Orin-style hwmon rails (mV x mA) and sums them without a total rail', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rails-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'in1_label'), 'VDD_CPU_GPU_CV');
  writeFileSync(join(dir, 'in1_input'), '5000');
  writeFileSync(join(dir, 'curr1_input'), '400');
  writeFileSync(join(dir, 'in2_label'), 'VDD_SOC');
  writeFileSync(join(dir, 'in2_input'), '5000');
  writeFileSync(join(dir, 'curr2_input'), '200');
  assert.equal(new JetsonPower(root).readMw(), 3000);
  assert.equal(new JetsonPower(join(root, 'nothing')).available, false);
  assert.equal(new JetsonPower(join(root, 'nothing')).readMw(), undefined);
});
