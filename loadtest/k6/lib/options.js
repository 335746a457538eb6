// The options every k6 script of the mesh shares: one scenario picked with -e SCENARIO, shaped by
// -e RATE (requests per second), DURATION, RAMP and MAX_VUS, and the summary's trend statistics.
//
//   steady      constant arrival rate RATE for DURATION
//   ramp        10/s up to RATE over DURATION, then back to 10/s over 10 s
//   spike       10/s for 10 s, jump to RATE in 5 s, hold 10 s, back to 10/s in 5 s
//   congestion  (CI's bounded run) 1/s up to RATE over RAMP, hold RATE for DURATION, stop
//
// Usage: `export const options = loadTestOptions({ defaultRate, preAllocatedVUs, thresholds })`.

const SCENARIO = __ENV.SCENARIO || 'steady';
const DURATION = __ENV.DURATION || '30s';
const RAMP = __ENV.RAMP || '5s';

/** k6 options for the scenario named by SCENARIO; an unknown name stops the script with the list. */
export function loadTestOptions({ defaultRate, preAllocatedVUs, thresholds, extra = {} }) {
  const rate = Number(__ENV.RATE || defaultRate);
  const scenarios = {
    steady: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs,
      maxVUs: 200,
    },
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: '1s',
      preAllocatedVUs,
      maxVUs: 400,
      stages: [
        { target: rate, duration: DURATION },
        { target: 10, duration: '10s' },
      ],
    },
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: '1s',
      preAllocatedVUs,
      maxVUs: 600,
      stages: [
        { target: 10, duration: '10s' },
        { target: rate, duration: '5s' },
        { target: rate, duration: '10s' },
        { target: 10, duration: '5s' },
      ],
    },
    congestion: {
      executor: 'ramping-arrival-rate',
      startRate: 1,
      timeUnit: '1s',
      preAllocatedVUs: 32,
      maxVUs: Number(__ENV.MAX_VUS || 256),
      stages: [
        { target: rate, duration: RAMP },
        { target: rate, duration: DURATION },
      ],
    },
  };
  const scenario = scenarios[SCENARIO];
  if (scenario === undefined) {
    throw new Error(`unknown SCENARIO "${SCENARIO}" (one of ${Object.keys(scenarios).join(', ')})`);
  }
  return {
    scenarios: { [SCENARIO]: scenario },
    thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    ...extra,
  };
}
