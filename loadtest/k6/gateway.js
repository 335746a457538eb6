// k6 load test of the gateway: the control plane (/v1/plan) and the data plane (/v1/infer with a real
// encoded request from the model repository, produced by the mesh's own client and saved as a file).
//
//   k6 run -e GATEWAY_URL=http://127.0.0.1:8080 -e API_KEY=... -e INFER_BODY=./infer-rb1.bin \
//          -e SCENARIO=steady|ramp|spike --summary-export=results/summary.json loadtest/k6/gateway.js
//
// Thresholds: p95 latency per endpoint and error rate; k6 exits non-zero when one fails.
import http from 'k6/http';
import { check } from 'k6';

const GATEWAY = __ENV.GATEWAY_URL || 'http://127.0.0.1:8080';
const KEY = __ENV.API_KEY || 'dev-key-change-me-0123456789';
const MODEL = __ENV.MODEL || 'fmnist-tiny';
const SCENARIO = __ENV.SCENARIO || 'steady';
const DURATION = __ENV.DURATION || '30s';
const inferBody = __ENV.INFER_BODY ? open(__ENV.INFER_BODY, 'b') : null;

const scenarios = {
  steady: { executor: 'constant-arrival-rate', rate: Number(__ENV.RATE || 50), timeUnit: '1s', duration: DURATION, preAllocatedVUs: 20, maxVUs: 200 },
  ramp: {
    executor: 'ramping-arrival-rate', startRate: 10, timeUnit: '1s', preAllocatedVUs: 20, maxVUs: 400,
    stages: [{ target: Number(__ENV.RATE || 200), duration: DURATION }, { target: 10, duration: '10s' }],
  },
  spike: {
    executor: 'ramping-arrival-rate', startRate: 10, timeUnit: '1s', preAllocatedVUs: 20, maxVUs: 600,
    stages: [{ target: 10, duration: '10s' }, { target: Number(__ENV.RATE || 400), duration: '5s' }, { target: Number(__ENV.RATE || 400), duration: '10s' }, { target: 10, duration: '5s' }],
  },
};

export const options = {
  scenarios: { [SCENARIO]: scenarios[SCENARIO] },
  thresholds: {
    'http_req_duration{endpoint:plan}': [`p(95)<${__ENV.PLAN_P95_MS || 50}`],
    'http_req_duration{endpoint:infer}': [`p(95)<${__ENV.INFER_P95_MS || 500}`],
    http_req_failed: [`rate<${__ENV.MAX_ERROR_RATE || 0.01}`],
  },
};

const auth = { Authorization: `Bearer ${KEY}` };
const networks = ['3g', '4g', 'wifi'];
const bandwidth = { '3g': 1.1, '4g': 5.85, wifi: 18.88 };

export default function () {
  const network = networks[__ITER % networks.length];
  const plan = http.post(
    `${GATEWAY}/v1/plan`,
    JSON.stringify({ model: MODEL, uplink: { network, bandwidthMbps: bandwidth[network], rttMs: 20 }, objective: 'latency' }),
    { headers: { ...auth, 'content-type': 'application/json' }, tags: { endpoint: 'plan', network } },
  );
  check(plan, { 'plan 200': (r) => r.status === 200 });
  if (inferBody !== null) {
    const res = http.post(`${GATEWAY}/v1/infer`, inferBody, {
      headers: { ...auth, 'content-type': 'application/x-protobuf' },
      tags: { endpoint: 'infer', network },
    });
    check(res, { 'infer 200': (r) => r.status === 200 });
  }
}
