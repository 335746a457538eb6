import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { Code, MeshError } from '@bottlenet/errors';
import { ManifestSchema } from './manifest-schema.js';
import type { Manifest } from './manifest-schema.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile<Manifest>(ManifestSchema);

/** `/partitions/0/head/sha256` -> `partitions[0].head.sha256`. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const raw of parts) {
    const p = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  }
  return out === '' ? '(top level)' : out;
}

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `missing field ${fieldPath(e.instancePath, String(params.missingProperty))}`;
    case 'additionalProperties':
      return `unknown field ${fieldPath(e.instancePath, String(params.additionalProperty))}`;
    case 'not':
      return `${fieldPath(e.instancePath)} must not be one of the reserved ids "cloud", "mobile"`;
    default:
      return `${fieldPath(e.instancePath)} ${e.message ?? 'is invalid'}`;
  }
}

function invalid(source: string, message: string, type = 'manifest_invalid'): MeshError {
  return new MeshError(Code.InvalidArgument, `${source}: ${message}`, { type });
}

/**
 * Parses manifest text: JSON, then the schema (every error names its field path), then the checks a
 * schema cannot express (per-channel lengths, unique partition ids, `featureShape[0] == channels`).
 * Throws MeshError INVALID_ARGUMENT (`type` `manifest_bad_json` or `manifest_invalid`).
 */
export function parseManifest(text: string, source = 'manifest.json'): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new MeshError(
      Code.InvalidArgument,
      `${source}: not valid JSON (${(e as Error).message})`,
      {
        type: 'manifest_bad_json',
        cause: e,
      },
    );
  }
  return validateManifest(data, source);
}

/** Validates an already-parsed manifest object; see {@link parseManifest}. */
export function validateManifest(data: unknown, source = 'manifest.json'): Manifest {
  if (!validate(data)) {
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
    const shown = errors.slice(0, 5).map(describe);
    const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
    throw invalid(source, shown.join('; ') + more);
  }
  const m = data;
  const c = m.input.shape[0];
  if (m.input.mean.length !== c)
    throw invalid(source, `input.mean has ${m.input.mean.length} values, input.shape[0] is ${c}`);
  if (m.input.std.length !== c)
    throw invalid(source, `input.std has ${m.input.std.length} values, input.shape[0] is ${c}`);
  const seen = new Set<string>();
  m.partitions.forEach((p, i) => {
    if (seen.has(p.id)) throw invalid(source, `partitions[${i}].id "${p.id}" is used twice`);
    seen.add(p.id);
    if (p.featureShape[0] !== p.channels) {
      throw invalid(
        source,
        `partitions[${i}].featureShape[0] is ${p.featureShape[0]}, channels is ${p.channels}`,
      );
    }
  });
  return m;
}
