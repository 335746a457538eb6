import { Value } from '@sinclair/typebox/value';
import type { TSchema, Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { Code, MeshError } from '@bottlenet/errors';

const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: false });

/**
 * Compiles a TypeBox schema into a function that applies defaults, validates (additionalProperties
 * false in the schema) and deep-freezes; a bad value throws `MeshError(InvalidArgument, type)` whose
 * message names the field, e.g. `config field /redis/url must be string`.
 */
export function compileValidator<S extends TSchema>(
  schema: S,
  what: string,
  type: string,
): (input: unknown) => Readonly<Static<S>> {
  const validate = ajv.compile<Static<S>>(schema);
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new MeshError(Code.InvalidArgument, `${what} must be a JSON object`, { type });
    }
    const withDefaults: unknown = Value.Default(schema, structuredClone(input));
    if (!validate(withDefaults)) throw fieldError(firstError(validate.errors), what, type);
    return deepFreeze(withDefaults);
  };
}

/** A union reports each branch's failure before its own `anyOf`; the `anyOf` names the field better. */
function firstError(errors: ErrorObject[] | null | undefined): ErrorObject | undefined {
  return errors?.find((e) => e.keyword === 'anyOf') ?? errors?.[0];
}

function fieldError(e: ErrorObject | undefined, what: string, type: string): MeshError {
  if (e === undefined) return new MeshError(Code.InvalidArgument, `${what} is invalid`, { type });
  let field = e.instancePath === '' ? '/' : e.instancePath;
  let problem = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') {
    field = `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`;
    problem = 'is not a known field';
  } else if (e.keyword === 'required') {
    field = `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
    problem = 'is required';
  } else if (e.keyword === 'anyOf') {
    problem = 'is not one of the allowed values';
  }
  return new MeshError(Code.InvalidArgument, `${what} field ${field} ${problem}`, { type });
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
