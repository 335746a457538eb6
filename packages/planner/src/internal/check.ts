import { Code, MeshError } from '@bottlenet/errors';

/** Throws `InvalidArgument` naming `field` unless `value` is a finite number >= `min` (and <= `max`). */
export function checkNumber(
  field: string,
  value: unknown,
  min = 0,
  max = Number.POSITIVE_INFINITY,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MeshError(
      Code.InvalidArgument,
      `${field} must be a finite number, got ${describe(value)}`,
      { type: 'invalid_planner_input' },
    );
  }
  if (value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new MeshError(Code.InvalidArgument, `${field} must be ${range}, got ${value}`, {
      type: 'invalid_planner_input',
    });
  }
  return value;
}

/** Throws `InvalidArgument` naming `field` unless `value` is a finite number > 0. */
export function checkPositive(field: string, value: unknown): number {
  checkNumber(field, value);
  if ((value as number) <= 0) {
    throw new MeshError(Code.InvalidArgument, `${field} must be > 0, got ${String(value)}`, {
      type: 'invalid_planner_input',
    });
  }
  return value as number;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}
