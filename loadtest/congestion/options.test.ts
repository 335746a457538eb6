import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionsRecord, parseOptions } from './options.js';

const parse = (...args: string[]): ReturnType<typeof parseOptions> =>
  parseOptions(['node', 'run.ts', ...args], '/repo', { exitOverride: true });

test('defaults are numbers; summary.json records them as strings', () => {
  const o = parse();
  assert.equal(o.workers, 2);
  assert.equal(o.hold, 25);
  assert.equal(o.periodMs, 60);
  assert.equal(o.model, '/repo/models/fmnist-tiny');
  const rec = optionsRecord(parse('--hold', '30', '--ramp', '2.5'));
  assert.equal(rec['hold'], '30');
  assert.equal(rec['ramp'], '2.5');
  assert.equal(rec['backgroundRate'], '20');
});

test('a non-number or out-of-range value is an error naming the option', () => {
  assert.throws(() => parse('--hold', 'abc'), /--hold <s>.*not a number/);
  assert.throws(() => parse('--http-rate', ''), /--http-rate <n>.*not a number/);
  assert.throws(() => parse('--workers', '1.5'), /--workers <n>.*not an integer/);
  assert.throws(() => parse('--background-rate', '0'), /--background-rate <n>.*above 0/);
  assert.throws(() => parse('--slowdown', '0.5'), /--slowdown <x>.*at least 1/);
});

test('ramp + hold is bounded at 60 s', () => {
  assert.equal(parse('--ramp', '10', '--hold', '50').hold, 50);
  assert.throws(
    () => parse('--ramp', '10', '--hold', '51'),
    /--ramp \+ --hold must be at most 60 s/,
  );
});
