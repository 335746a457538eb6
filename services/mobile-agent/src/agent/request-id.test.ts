import assert from 'node:assert/strict';
import { test } from 'node:test';

import { newRequestId } from './request-id.js';

test('request ids are 12 base64url characters and do not repeat', () => {
  const seen = new Set<string>();
  // more than one pool's worth, so the refill is crossed
  for (let i = 0; i < 2000; i++) {
    const id = newRequestId();
    assert.match(id, /^[A-Za-z0-9_-]{12}$/);
    assert.ok(!seen.has(id), `id ${id} repeated after ${i} ids`);
    seen.add(id);
  }
});
