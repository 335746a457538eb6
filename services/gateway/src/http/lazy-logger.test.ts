// The lazy request logger: no pino child until something is logged; what is logged carries the
// request's bindings and honours the level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { lazyChildLoggerFactory } from './lazy-logger.js';

test('the child is made on the first log call and logs with the bindings', () => {
  const lines: string[] = [];
  const root = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  let children = 0;
  const parent = Object.create(root, {
    child: {
      value: (b: pino.Bindings, o?: pino.ChildLoggerOptions) => (children++, root.child(b, o)),
    },
  }) as typeof root;
  const log = lazyChildLoggerFactory(parent, { requestId: 'req-7' }, {});
  assert.equal(children, 0);
  assert.equal(log.level, 'info');
  log.debug('below the level');
  assert.equal(lines.length, 0);
  log.error({ status: 500 }, 'request failed');
  log.warn('again');
  assert.equal(children, 1, 'one child, made once');
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]!) as {
    requestId: string;
    status: number;
    msg: string;
    level: number;
  };
  assert.equal(first.requestId, 'req-7');
  assert.equal(first.status, 500);
  assert.equal(first.msg, 'request failed');
  const grandchild = log.child({ part: 'x' });
  grandchild.info('nested');
  assert.equal((JSON.parse(lines[2]!) as { requestId: string; part: string }).requestId, 'req-7');
});
