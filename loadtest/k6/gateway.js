// k6 load test of the gateway: the control plane (/v1/plan) and the data plane (/v1/infer with real
// encoded requests from the model repository, written by loadtest/requests/generate.ts).
//
//   k6 run -e GATEWAY_URL=http://127.0.0.1:8080 -e API_KEY=... -e INFER_BODIES=dir/rb1-0.bin,dir/cloud-0.bin \
//          -e SCENARIO=steady|ramp|spike|congestion --summary-export=results/gateway-summary.json loadtest/k6/gateway.js
//
// Thresholds: p95 latency per endpoint and error rate; k6 exits non-zero when one fails.
// `lost` counts requests that got no HTTP answer at all (connection error or client timeout); a
// rejection with a status (429, 503, 504) is an answer, counted by http_req_failed.
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const GATEWAY = __ENV.GATEWAY_URL || 'http://127.0.0.1:8080';
const KEY = __ENV.API_KEY || 'dev-key-change-me-0123456789';
const MODEL = __ENV.MODEL || 'fmnist-tiny';
const SCENARIO = __ENV.SCENARIO || 'steady';
const DURATION = __ENV.DURATION || '30s';
const RAMP = __ENV.RAMP || '5s';
const RATE = Number(__ENV.RATE || 50);
const PLAN = (__ENV.PLAN || '1') !== '0';
const TIMEOUT = __ENV.HTTP_TIMEOUT || '10s';
// INFER_BODY (one file) is kept for compatibility; INFER_BODIES is a comma-separated list, rotated.
const bodyFiles = (__ENV.INFER_BODIES || __ENV.INFER_BODY || '').split(',').filter((f) => f !== '');
const inferBodies = bodyFiles.map((f) => open(f, 'b'));

const lost = new Counter('lost');

const scenarios = {
  steady: {
    executor: 'constant-arrival-rate',
    rate: RATE,
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: 20,
    maxVUs: 200,
  },
  ramp: {
    executor: 'ramping-arrival-rate',
    startRate: 10,
    timeUnit: '1s',
    preAllocatedVUs: 20,
    maxVUs: 400,
    stages: [
      { target: RATE, duration: DURATION },
      { target: 10, duration: '10s' },
    ],
  },
  spike: {
    executor: 'ramping-arrival-rate',
    startRate: 10,
    timeUnit: '1s',
    preAllocatedVUs: 20,
    maxVUs: 600,
    stages: [
      { target: 10, duration: '10s' },
      { target: RATE, duration: '5s' },
      { target: RATE, duration: '10s' },
      { target: 10, duration: '5s' },
    ],
  },
  // CI's bounded congestion run: ramp to RATE over RAMP, hold it for DURATION, stop.
  congestion: {
    executor: 'ramping-arrival-rate',
    startRate: 1,
    timeUnit: '1s',
    preAllocatedVUs: 32,
    maxVUs: Number(__ENV.MAX_VUS || 256),
    stages: [
      { target: RATE, duration: RAMP },
      { target: RATE, duration: DURATION },
    ],
  },
};

export const options = {
  scenarios: { [SCENARIO]: scenarios[SCENARIO] },
  discardResponseBodies: true,
  thresholds: {
    'http_req_duration{endpoint:plan}': [`p(95)<${__ENV.PLAN_P95_MS || 50}`],
    'http_req_duration{endpoint:infer}': [`p(95)<${__ENV.INFER_P95_MS || 500}`],
    http_req_failed: [`rate<${__ENV.MAX_ERROR_RATE || 0.01}`],
    lost: [`count<=${__ENV.MAX_LOST || 0}`],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const auth = { Authorization: `Bearer ${KEY}` };
const networks = ['3g', '4g', 'wifi'];
const bandwidth = { '3g': 1.1, '4g': 5.85, wifi: 18.88 };

export default function () {
  const network = networks[__ITER % networks.length];
  if (PLAN) {
    const plan = http.post(
      `${GATEWAY}/v1/plan`,
      JSON.stringify({
        model: MODEL,
        uplink: { network, bandwidthMbps: bandwidth[network], rttMs: 20 },
        objective: 'latency',
      }),
      {
        headers: { ...auth, 'content-type': 'application/json' },
        tags: { endpoint: 'plan', network },
        timeout: TIMEOUT,
      },
    );
    if (plan.status === 0) lost.add(1, { endpoint: 'plan' });
    check(plan, { 'plan 200': (r) => r.status === 200 });
  }
  if (inferBodies.length > 0) {
    const body = inferBodies[(__VU + __ITER) % inferBodies.length];
    const res = http.post(`${GATEWAY}/v1/infer`, body, {
      headers: { ...auth, 'content-type': 'application/x-protobuf' },
      tags: { endpoint: 'infer', network },
      timeout: TIMEOUT,
    });
    if (res.status === 0) lost.add(1, { endpoint: 'infer' });
    check(res, { 'infer 200': (r) => r.status === 200 });
  }
}
