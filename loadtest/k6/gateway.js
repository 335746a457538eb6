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
import { loadTestOptions } from './lib/options.js';

const GATEWAY = __ENV.GATEWAY_URL || 'http://127.0.0.1:8080';
const KEY = __ENV.API_KEY || 'dev-key-change-me-0123456789';
const MODEL = __ENV.MODEL || 'fmnist-tiny';
const PLAN = (__ENV.PLAN || '1') !== '0';
const TIMEOUT = __ENV.HTTP_TIMEOUT || '10s';
// INFER_BODY (one file) is kept for compatibility; INFER_BODIES is a comma-separated list, rotated.
const bodyFiles = (__ENV.INFER_BODIES || __ENV.INFER_BODY || '').split(',').filter((f) => f !== '');
const inferBodies = bodyFiles.map((f) => open(f, 'b'));

const lost = new Counter('lost');

export const options = loadTestOptions({
  defaultRate: 50,
  preAllocatedVUs: 20,
  thresholds: {
    'http_req_duration{endpoint:plan}': [`p(95)<${__ENV.PLAN_P95_MS || 50}`],
    'http_req_duration{endpoint:infer}': [`p(95)<${__ENV.INFER_P95_MS || 500}`],
    http_req_failed: [`rate<${__ENV.MAX_ERROR_RATE || 0.01}`],
    lost: [`count<=${__ENV.MAX_LOST || 0}`],
  },
  extra: { discardResponseBodies: true },
});

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
