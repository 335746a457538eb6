import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';

/** The congestion run's command line, parsed and checked. Durations in seconds, rates per second. */
export interface CongestionOptions {
  readonly model: string;
  readonly out: string;
  readonly workers: number;
  readonly baseline: number;
  readonly ramp: number;
  readonly hold: number;
  readonly recovery: number;
  readonly httpRate: number;
  readonly grpcRate: number;
  readonly link: string;
  readonly slowdown: number;
  readonly fixed: string;
  readonly backgroundRate: number;
  readonly periodMs: number;
  /** false (`--no-cpu-split`): agents, cloud tier and k6 share every CPU. */
  readonly cpuSplit: boolean;
}

/** k6 must finish within this (ramp + hold), so that the CI job stays bounded. */
export const MAX_K6_SECONDS = 60;

/** A commander argument parser for a number in [min, max] (`minExclusive`: (min, max]); integers only with `integer`. */
function numberIn(
  min: number,
  { max = Number.POSITIVE_INFINITY, minExclusive = false, integer = false } = {},
): (value: string) => number {
  return (value) => {
    const x = Number(value);
    // Number('') and Number(' ') are 0, which would silently pass a `>= 0` check
    if (value.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError('not a number.');
    if (integer && !Number.isInteger(x)) throw new InvalidArgumentError('not an integer.');
    if (minExclusive ? x <= min : x < min)
      throw new InvalidArgumentError(`must be ${minExclusive ? 'above' : 'at least'} ${min}.`);
    if (x > max) throw new InvalidArgumentError(`must be at most ${max}.`);
    return x;
  };
}

const positive = numberIn(0, { minExclusive: true });
const nonNegative = numberIn(0);

/**
 * Parses `argv` (node's form: `[node, script, ...args]`). A bad value ends the process with
 * commander's usage error naming the option, unless `exitOverride` is set, in which case it throws
 * (commander's `CommanderError`).
 */
export function parseOptions(
  argv: readonly string[],
  repoRoot: string,
  { exitOverride = false } = {},
): CongestionOptions {
  const cmd = new Command('congestion')
    .option('--model <dir>', 'model repository', join(repoRoot, 'models/fmnist-tiny'))
    .option('--out <dir>', 'results folder', join(repoRoot, 'loadtest/results/congestion'))
    .option('--workers <n>', 'cloud workers', numberIn(1, { integer: true }), 2)
    .option('--baseline <s>', 'uncongested seconds before k6 starts', nonNegative, 12)
    .option('--ramp <s>', 'k6 ramp-up seconds', nonNegative, 5)
    .option(
      '--hold <s>',
      `k6 seconds at full rate (ramp + hold <= ${MAX_K6_SECONDS})`,
      positive,
      25,
    )
    .option('--recovery <s>', 'seconds after k6 ends', nonNegative, 8)
    .option('--http-rate <n>', 'k6 /v1/infer requests per second at full rate', positive, 80)
    .option('--grpc-rate <n>', 'k6 gRPC Infer calls per second at full rate', positive, 3000)
    .option('--link <preset>', "the agents' emulated uplink", 'wifi')
    // the agent config's own bounds for emulation.deviceSlowdown
    .option(
      '--slowdown <x>',
      'device slowdown factor of the emulated devices',
      numberIn(1, { max: 1000 }),
      80,
    )
    .option('--fixed <partition>', 'the partition the fixed agent is pinned to', 'rb1')
    .option(
      '--background-rate <n>',
      'steady background requests per second through the gateway (other devices), all candidates in turn',
      positive,
      20,
    )
    .option('--period-ms <ms>', 'each agent starts a request at most this often', nonNegative, 60)
    .option(
      '--no-cpu-split',
      'share every CPU between the agents, the cloud tier and k6 (default: agents on CPU 0, cloud and k6 on the others, as on separate machines)',
    );
  if (exitOverride) cmd.exitOverride().configureOutput({ writeErr: () => undefined });
  cmd.parse(argv);
  const o = cmd.opts<CongestionOptions>();
  if (o.ramp + o.hold > MAX_K6_SECONDS)
    cmd.error(`error: --ramp + --hold must be at most ${MAX_K6_SECONDS} s (the CI bound)`);
  return o;
}

/**
 * The options as summary.json has always recorded them (as strings, which is what commander gave
 * before the values were parsed), so that readers of older and newer summaries see one shape.
 */
export function optionsRecord(o: CongestionOptions): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}
