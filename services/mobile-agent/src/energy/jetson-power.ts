import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One power rail of an INA3221 monitor: how to read it and what it is called. */
interface Rail {
  name: string;
  read: () => number;
}

function readNumber(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readLabel(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/**
 * Finds the Jetson board's power rails under `sysfsRoot`:
 * - L4T 32 (TX2, Xavier): `bus/i2c/drivers/ina3221x/<dev>/iio:device<N>/in_power<k>_input` (mW) and `rail_name_<k>`;
 * - L4T 34+ (Orin): `bus/i2c/drivers/ina3221/<dev>/hwmon/hwmon<N>/in<k>_input` (mV), `curr<k>_input` (mA), `in<k>_label`.
 */
export function findPowerRails(sysfsRoot: string): Rail[] {
  const rails: Rail[] = [];
  const iioBase = join(sysfsRoot, 'bus/i2c/drivers/ina3221x');
  for (const dev of list(iioBase)) {
    for (const iio of list(join(iioBase, dev)).filter((n) => n.startsWith('iio:device'))) {
      const dir = join(iioBase, dev, iio);
      for (const f of list(dir)) {
        const m = /^in_power(\d+)_input$/.exec(f);
        if (m === null) continue;
        rails.push({
          name: readLabel(join(dir, `rail_name_${m[1]}`), `${dev}:${m[1]}`),
          read: () => readNumber(join(dir, f)),
        });
      }
    }
  }
  const hwBase = join(sysfsRoot, 'bus/i2c/drivers/ina3221');
  for (const dev of list(hwBase)) {
    for (const hw of list(join(hwBase, dev, 'hwmon'))) {
      const dir = join(hwBase, dev, 'hwmon', hw);
      for (const f of list(dir)) {
        const m = /^curr(\d+)_input$/.exec(f);
        if (m === null) continue;
        const k = m[1]!;
        rails.push({
          name: readLabel(join(dir, `in${k}_label`), `${dev}:${k}`),
          read: () => (readNumber(join(dir, `in${k}_input`)) * readNumber(join(dir, f))) / 1000,
        });
      }
    }
  }
  return rails;
}

/**
 * Reads the board's power draw in mW: the total input rail (`VDD_IN`, `POM_5V_IN`) when there is one,
 * else the sum of all rails. Undefined when the board has no readable rails (not a Jetson).
 */
export class JetsonPower {
  private readonly rails: Rail[];

  constructor(sysfsRoot: string) {
    const all = findPowerRails(sysfsRoot);
    const total = all.find((r) => /^(VDD_IN|POM_5V_IN)$/i.test(r.name));
    this.rails = total === undefined ? all : [total];
  }

  get available(): boolean {
    return this.rails.length > 0;
  }

  get railNames(): string[] {
    return this.rails.map((r) => r.name);
  }

  readMw(): number | undefined {
    if (this.rails.length === 0) return undefined;
    try {
      const mw = this.rails.reduce((s, r) => s + r.read(), 0);
      return Number.isFinite(mw) ? mw : undefined;
    } catch {
      return undefined;
    }
  }
}
