import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError, Code, hasCode, codeFromString, httpStatusOf, fromNodeError } from './index.js';

test('message is prefixed with the code and rawMessage keeps the text', () => {
  const e = new MeshError(Code.InvalidArgument, 'bad frame');
  assert.equal(e.message, '[invalid_argument] bad frame');
  assert.equal(e.rawMessage, 'bad frame');
  assert.equal(e.nonRetryable, true);
  assert.equal(new MeshError(Code.Unavailable, 'x').nonRetryable, false);
});

test('from() normalises anything thrown and keeps the cause', () => {
  const inner = new Error('boom');
  const e = MeshError.from(inner, Code.Internal);
  assert.equal(e.code, Code.Internal);
  assert.equal(e.cause, inner);
  assert.equal(MeshError.from('text').code, Code.Unknown);
  const same = new MeshError(Code.NotFound, 'x');
  assert.equal(MeshError.from(same), same);
});

test('instanceof holds for a look-alike from another copy of the package', () => {
  const foreign = Object.assign(new Error('x'), {});
  Object.defineProperty(foreign, Symbol.for('@bottlenet/errors/MeshError'), { value: true });
  assert.ok(foreign instanceof MeshError);
  assert.ok(!(new Error('y') instanceof MeshError));
});

test('hasCode walks the cause chain', () => {
  const root = new MeshError(Code.DeadlineExceeded, 'late');
  const wrapped = new Error('outer', { cause: new Error('middle', { cause: root }) });
  assert.ok(hasCode(wrapped, Code.DeadlineExceeded));
  assert.ok(!hasCode(wrapped, Code.NotFound));
});

test('codes map to names, numbers and HTTP statuses', () => {
  assert.equal(codeFromString('resource_exhausted'), Code.ResourceExhausted);
  assert.equal(codeFromString('14'), Code.Unavailable);
  assert.equal(codeFromString('nope'), undefined);
  assert.equal(httpStatusOf(Code.ResourceExhausted), 429);
  assert.equal(httpStatusOf(Code.Unauthenticated), 401);
});

test('platform errors map to mesh codes', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.equal(fromNodeError(refused)?.code, Code.Unavailable);
  assert.equal(fromNodeError(new Error('plain')), undefined);
});
