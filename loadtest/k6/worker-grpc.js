// k6 load test of the cloud workers over gRPC (bottlenet.v1.InferenceService/Infer), bypassing the
// gateway, with real requests in proto3 JSON (written by loadtest/requests/generate.ts).
//
//   k6 run -e WORKERS=127.0.0.1:50051,127.0.0.1:50052 -e PROTO_DIR=$PWD/packages/protocol/proto \
//          -e REQUESTS=dir/rb1-0.json,dir/rb3-0.json -e SCENARIO=steady|ramp|spike|congestion \
//          --summary-export=results/grpc-summary.json loadtest/k6/worker-grpc.js
//
// Each VU keeps one connection to one worker (VUs spread over WORKERS). Thresholds: p95 of the call
// and the share of non-OK statuses; `lost` counts calls that got no gRPC status at all.
import grpc from 'k6/net/grpc';
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import { loadTestOptions } from './lib/options.js';

const WORKERS = (__ENV.WORKERS || '127.0.0.1:50051').split(',');
const requests = (__ENV.REQUESTS || '')
  .split(',')
  .filter((f) => f !== '')
  .map((f) => JSON.parse(open(f)));
if (requests.length === 0)
  throw new Error('set REQUESTS to request JSON files (loadtest/requests/generate.ts)');

const client = new grpc.Client();
client.load([__ENV.PROTO_DIR || '../../packages/protocol/proto'], 'bottlenet/v1/inference.proto');

const lost = new Counter('lost');
const notOk = new Rate('grpc_req_failed');

export const options = loadTestOptions({
  defaultRate: 100,
  preAllocatedVUs: 16,
  thresholds: {
    grpc_req_duration: [`p(95)<${__ENV.INFER_P95_MS || 500}`],
    grpc_req_failed: [`rate<${__ENV.MAX_ERROR_RATE || 0.01}`],
    lost: [`count<=${__ENV.MAX_LOST || 0}`],
  },
});

let connected = false;

export default function () {
  if (!connected) {
    client.connect(WORKERS[__VU % WORKERS.length], { plaintext: true, timeout: '10s' });
    connected = true;
  }
  const req = requests[(__VU + __ITER) % requests.length];
  const res = client.invoke('bottlenet.v1.InferenceService/Infer', req, {
    timeout: __ENV.GRPC_TIMEOUT || '10s',
  });
  if (res === null || res === undefined || res.status === undefined) lost.add(1);
  notOk.add(res.status !== grpc.StatusOK);
  check(res, { 'infer OK': (r) => r.status === grpc.StatusOK });
}
