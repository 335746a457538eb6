import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Code, MeshError } from '@bottlenet/errors';
import { CloudSummarySchema, type CloudSummary } from './schema.js';

const checker = TypeCompiler.Compile(CloudSummarySchema);

/**
 * Parses and checks a summary read from Redis or the change channel. Throws `MeshError(DataLoss,
 * type "bad_summary")` naming the first bad field, so a reader keeps its last good view.
 */
export function parseCloudSummary(text: string): CloudSummary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MeshError(Code.DataLoss, 'cloud summary is not JSON', {
      type: 'bad_summary',
      cause: err,
    });
  }
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    throw new MeshError(
      Code.DataLoss,
      `cloud summary field ${first?.path || '/'} ${first?.message ?? 'is invalid'}`,
      { type: 'bad_summary' },
    );
  }
  return value;
}
