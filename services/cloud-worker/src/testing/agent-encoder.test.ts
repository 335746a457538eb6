// The agent-side encoder the accuracy test and the bench rely on must encode as the agent does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFeatureFrame } from '@bottlenet/bottleneck-codec';
import { tinyFrames } from './test-worker.js';

test('encoding with the manifest codec settings gives frames of about meanBytes', async () => {
  const { repo, frames } = await tinyFrames(16);
  const mean = frames.reduce((s, f) => s + f.length, 0) / frames.length;
  const want = repo.partition('rb1').meanBytes;
  assert.ok(Math.abs(mean - want) < want * 0.25, `mean frame ${mean} bytes vs manifest ${want}`);
  assert.ok(encodeFeatureFrame(new Float32Array(196), [1, 14, 14], { codec: 'jpeg' }).length > 0);
});
