import { test } from 'node:test';
import assert from 'node:assert/strict';
import { k6ErrorLines, summarize, type K6Result, type SummaryInput } from './summary.js';
import type { AgentRecord, CloudSample, Phase } from './traffic.js';

const blocks = new Map([
  ['rb1', 1],
  ['rb3', 3],
]);

/** Records of one agent in one phase: one per latency, candidates taken in turn. */
function recs(
  agent: string,
  phase: Phase,
  latencies: readonly number[],
  candidates: readonly string[],
): AgentRecord[] {
  return latencies.map((latencyMs, i) => ({
    t: i,
    agent,
    phase,
    candidate: candidates[i % candidates.length]!,
    answeredBy: 'cloud',
    latencyMs,
    networkMs: 1,
    serverMs: 1,
  }));
}

/** 10, 11, ..., 29 scaled: the nearest-rank p95 of 20 values is the 19th, 28 * scale. */
const lat = (scale: number): number[] => Array.from({ length: 20 }, (_, i) => (10 + i) * scale);

function k6(requests: number, lost = 0): K6Result {
  return {
    requests,
    ratePerSecond: requests / 30,
    failedRate: 0,
    p50Ms: 50,
    p95Ms: 200,
    lost,
    thresholdsCrossed: [],
    exitCode: 0,
    errors: [],
  };
}

function input(
  o: {
    adaptiveCongested?: { scale: number; candidates: string[] };
    adaptiveBaselineCandidates?: string[];
    fixedScale?: number;
    extra?: AgentRecord[];
    unanswered?: number;
    errors?: number;
    k6Lost?: [number, number];
    cloudSamples?: CloudSample[];
  } = {},
): SummaryInput {
  const records = [
    ...recs('adaptive', 'baseline', lat(1), o.adaptiveBaselineCandidates ?? ['cloud']),
    ...recs(
      'adaptive',
      'congested',
      lat(o.adaptiveCongested?.scale ?? 1.5),
      o.adaptiveCongested?.candidates ?? ['mobile', 'rb3'],
    ),
    ...recs('fixed-rb1', 'baseline', lat(1), ['rb1']),
    ...recs('fixed-rb1', 'congested', lat(o.fixedScale ?? 4), ['rb1']),
    ...(o.extra ?? []),
  ];
  const errors = Array.from({ length: o.errors ?? 0 }, () => ({
    agent: 'adaptive',
    phase: 'congested' as const,
    message: 'deadline',
  }));
  return {
    options: { hold: '25' },
    k6Version: 'k6 v1.3.0',
    durationS: 60,
    k6WallS: 30,
    loadAverage: '1 1 1',
    agents: { adaptive: 'adaptive', fixed: 'fixed-rb1' },
    blocks,
    records,
    errors,
    switches: [],
    cloudSamples: o.cloudSamples ?? [],
    sent: records.length + (o.unanswered ?? 0),
    background: { sent: 100, failed: 0 },
    k6: { gateway: k6(1000, o.k6Lost?.[0]), grpc: k6(5000, o.k6Lost?.[1]) },
  };
}

test('a run within every limit passes and ends with the exact final line', () => {
  const { summary, finalLine, lines } = summarize(input());
  assert.equal(summary.ratios.adaptiveP95, 1.5);
  assert.equal(summary.ratios.fixedP95, 4);
  assert.deepEqual(summary.verdicts, {
    adaptiveWithin2x: true,
    fixedPast3x: true,
    movedTowardDevice: true,
    noRequestLost: true,
  });
  assert.equal(summary.pass, true);
  assert.equal(
    finalLine,
    'congestion: adaptive_p95_ratio=1.5 fixed_p95_ratio=4 moved_toward_device=true lost=0 k6_http_reqs=1000 k6_grpc_reqs=5000',
  );
  // what the CI test matches the run's last line against
  assert.match(
    finalLine,
    /^congestion: adaptive_p95_ratio=\S+ fixed_p95_ratio=\S+ moved_toward_device=\S+ lost=\d+ k6_http_reqs=\d+ k6_grpc_reqs=\d+$/,
  );
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^adaptive: baseline n=20 p50=19 p95=28 \{"cloud":20\} \| ramp n=0 /);
  assert.match(lines[2]!, /^cloud K: /);
});

test('summary.json keeps its keys in order', () => {
  const { summary } = summarize(input());
  assert.deepEqual(Object.keys(summary), [
    'options',
    'k6Version',
    'durationS',
    'k6WallS',
    'loadAverage',
    'agents',
    'ratios',
    'cloud',
    'switches',
    'agentRequests',
    'background',
    'k6',
    'limits',
    'verdicts',
    'pass',
  ]);
  assert.deepEqual(Object.keys(summary.agents), ['adaptive', 'fixed-rb1']);
  assert.deepEqual(Object.keys(summary.agents['adaptive']!), [
    'baseline',
    'ramp',
    'congested',
    'recovery',
  ]);
  assert.deepEqual(summary.limits, { adaptiveP95RatioMax: 2, fixedP95RatioMin: 3 });
});

test('p95 ratios are per agent and per phase: ramp, warm-up and the other agent do not leak in', () => {
  const { summary } = summarize(
    input({
      extra: [
        ...recs('adaptive', 'ramp', [900, 950, 1000], ['cloud']),
        ...recs('adaptive', 'warmup', [5000], ['mobile']),
        ...recs('adaptive', 'recovery', [700], ['cloud']),
      ],
    }),
  );
  const a = summary.agents['adaptive']!;
  assert.equal(a['baseline']!.p95Ms, 28);
  assert.equal(a['congested']!.p95Ms, 42);
  assert.equal(a['ramp']!.n, 3);
  assert.equal(summary.agents['fixed-rb1']!['congested']!.p95Ms, 112);
  assert.equal(summary.ratios.adaptiveP95, 1.5);
  assert.equal(summary.verdicts.adaptiveWithin2x, true);
  // ramp + congested pooled: 23 values, nearest rank 22 is the second-slowest ramp request
  assert.equal(summary.ratios.adaptiveP95IncludingRamp, Number((950 / 28).toFixed(2)));
});

test('moved_toward_device: deeper partitions or mobile while congested, not the same or shallower', () => {
  const moved = (baseline: string[], congested: string[]): boolean =>
    summarize(
      input({
        adaptiveBaselineCandidates: baseline,
        adaptiveCongested: { scale: 1.5, candidates: congested },
      }),
    ).summary.verdicts.movedTowardDevice;
  assert.equal(moved(['cloud'], ['mobile']), true);
  assert.equal(moved(['rb1'], ['rb3']), true);
  assert.equal(moved(['cloud'], ['cloud', 'rb1']), true);
  assert.equal(moved(['cloud'], ['cloud']), false);
  assert.equal(moved(['rb3'], ['rb1']), false);
  assert.equal(moved(['mobile'], ['rb3']), false);

  const r = summarize(input({ adaptiveCongested: { scale: 1.5, candidates: ['cloud'] } }));
  assert.equal(r.summary.pass, false);
  assert.match(r.finalLine, / moved_toward_device=false /);
  assert.equal(r.summary.agents['adaptive']!['congested']!.meanDeviceOrder, 0);
});

test('verdicts against the limits: adaptive at most 2x, fixed strictly past 3x', () => {
  const at = (adaptiveScale: number, fixedScale: number): ReturnType<typeof summarize> =>
    summarize(
      input({ adaptiveCongested: { scale: adaptiveScale, candidates: ['mobile'] }, fixedScale }),
    );

  const edge = at(2, 3);
  assert.equal(edge.summary.verdicts.adaptiveWithin2x, true);
  assert.equal(edge.summary.verdicts.fixedPast3x, false);
  assert.equal(edge.summary.pass, false);
  assert.match(edge.finalLine, /adaptive_p95_ratio=2 fixed_p95_ratio=3 /);

  const over = at(2.5, 3.5);
  assert.equal(over.summary.verdicts.adaptiveWithin2x, false);
  assert.equal(over.summary.verdicts.fixedPast3x, true);
  assert.equal(over.summary.pass, false);
  assert.match(over.finalLine, /adaptive_p95_ratio=2.5 fixed_p95_ratio=3.5 /);
});

test('lost: agent requests sent but not answered (an agent error is one of them), plus k6 lost', () => {
  const r = summarize(input({ unanswered: 3, errors: 1, k6Lost: [2, 1] }));
  assert.deepEqual(
    { ...r.summary.agentRequests, errors: r.summary.agentRequests.errors.length },
    { sent: 83, answered: 80, lost: 3, errors: 1 },
  );
  assert.equal(r.summary.verdicts.noRequestLost, false);
  assert.equal(r.summary.pass, false);
  assert.match(r.finalLine, / lost=6 k6_http_reqs=1000 k6_grpc_reqs=5000$/);

  const k6Only = summarize(input({ k6Lost: [0, 4] }));
  assert.equal(k6Only.summary.verdicts.noRequestLost, false);
  assert.match(k6Only.finalLine, / lost=4 /);
});

test('cloud view: mean load level and maxima per phase', () => {
  const s = (phase: Phase, loadLevel: number, queueDepth: number, ms: number): CloudSample => ({
    t: 0,
    phase,
    loadLevel,
    queueDepth,
    maxExpectedCloudMs: ms,
    candidate: 'cloud',
  });
  const { summary } = summarize(
    input({
      cloudSamples: [
        s('warmup', 9, 99, 999),
        s('baseline', 1, 0, 5),
        s('baseline', 1.2, 1, 8.123),
        s('congested', 2, 150, 300),
        s('congested', 2.5, 200, 250),
      ],
    }),
  );
  assert.deepEqual(summary.cloud, {
    baselineMeanLoadLevel: 1.1,
    congestedMeanLoadLevel: 2.25,
    congestedMaxQueueDepth: 200,
    baselineMaxExpectedCloudMs: 8.12,
    congestedMaxExpectedCloudMs: 300,
  });
});

test('k6ErrorLines keeps distinct warn/error lines without their timestamps, at most 10', () => {
  const log = [
    'time="2025-01-01T00:00:00Z" level=info msg="starting"',
    'time="2025-01-01T00:00:01Z" level=warning msg="Request Failed" error="timeout"',
    'time="2025-01-01T00:00:02Z" level=warning msg="Request Failed" error="timeout"',
    'time="2025-01-01T00:00:03Z" level=error msg="boom"',
    ...Array.from({ length: 20 }, (_, i) => `level=warning msg="n${i}"`),
    `level=error msg="${'x'.repeat(400)}"`,
  ].join('\n');
  const lines = k6ErrorLines(log);
  assert.equal(lines.length, 10);
  assert.deepEqual(lines.slice(0, 3), [
    'level=warning msg="Request Failed" error="timeout"',
    'level=error msg="boom"',
    'level=warning msg="n0"',
  ]);
  assert.deepEqual(k6ErrorLines(`level=error msg="${'x'.repeat(400)}"`)[0]!.length, 300);
  assert.deepEqual(k6ErrorLines('level=info msg="fine"\n'), []);
});
