import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/**
 * The manifest schema, exactly as docs/contracts-for-helpers.md gives it (training writes it, the worker and
 * the agent read it). The top level is closed (`additionalProperties: false`) so a misspelt key is an error;
 * nested objects are open so that training can add informational keys (e.g. `flops`, training details)
 * without a schema change.
 */

const Sha256 = Type.String({
  pattern: '^[0-9a-f]{64}$',
  description: 'lower-case hex SHA-256 of the file',
});

const PositiveInt = Type.Integer({ minimum: 1 });

const Fraction = Type.Number({ minimum: 0, maximum: 1 });

/** A file of the repository: a path relative to the manifest's folder and its SHA-256. */
export const FileRefSchema = Type.Object(
  {
    file: Type.String({ minLength: 1 }),
    sha256: Sha256,
    flops: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: true },
);

export const InputSpecSchema = Type.Object(
  {
    /** [C, H, W] */
    shape: Type.Tuple([PositiveInt, PositiveInt, PositiveInt]),
    /** One per channel. */
    mean: Type.Array(Type.Number(), { minItems: 1 }),
    /** One per channel, > 0. */
    std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1 }),
    /** Pixels are divided by this first (255 for 8-bit images). */
    scale: Type.Number({ exclusiveMinimum: 0 }),
  },
  { additionalProperties: true },
);

export const CodecSpecSchema = Type.Object(
  {
    kind: Type.String({ minLength: 1 }),
    quality: Type.Integer({ minimum: 1, maximum: 100 }),
    bits: Type.Integer({ minimum: 1, maximum: 8 }),
  },
  { additionalProperties: true },
);

export const TrainingInfoSchema = Type.Object(
  { method: Type.String({ minLength: 1 }) },
  { additionalProperties: true },
);

export const PartitionSpecSchema = Type.Object(
  {
    /** e.g. "rb1"; never "cloud" or "mobile", which name the other candidates. */
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      not: { enum: ['cloud', 'mobile'] },
    }),
    /** Residual block the split comes after. */
    block: Type.Integer({ minimum: 0 }),
    /** c' */
    channels: PositiveInt,
    /** s */
    spatialFactor: PositiveInt,
    /** [c', h', w'] */
    featureShape: Type.Tuple([PositiveInt, PositiveInt, PositiveInt]),
    head: FileRefSchema,
    tail: FileRefSchema,
    /** Accuracy with the codec in the loop, 0..1. */
    accuracy: Fraction,
    /** Mean wire bytes per sample (frame header + tables-omitted payload). */
    meanBytes: Type.Number({ minimum: 0 }),
    meanBytesFullJpeg: Type.Optional(Type.Number({ minimum: 0 })),
    /**
     * This partition's codec when it differs from the manifest's `codec` (e.g. a lower JPEG quality at an
     * early cut, where the uplink dominates); its accuracy and bytes were measured at it.
     */
    codec: Type.Optional(CodecSpecSchema),
    training: TrainingInfoSchema,
  },
  { additionalProperties: true },
);

export const ManifestSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
    version: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    input: InputSpecSchema,
    classes: Type.Array(Type.String(), { minItems: 1 }),
    baselineAccuracy: Fraction,
    full: FileRefSchema,
    codec: CodecSpecSchema,
    partitions: Type.Array(PartitionSpecSchema),
    trainCommand: Type.String(),
    /** Optional measured profiles (device / cloud timings); free-form. */
    profiles: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** How the base network (without bottleneck) was trained: command, epochs, arch, ...; free-form. */
    baseTraining: Type.Optional(Type.Object({}, { additionalProperties: true })),
    /** Test-set samples the accuracy and byte figures were measured on. */
    testSamples: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export type FileRef = Static<typeof FileRefSchema>;
export type InputSpec = Static<typeof InputSpecSchema>;
export type CodecSpec = Static<typeof CodecSpecSchema>;
export type TrainingInfo = Static<typeof TrainingInfoSchema>;
export type PartitionSpec = Static<typeof PartitionSpecSchema>;
export type Manifest = Static<typeof ManifestSchema>;

/** The only manifest schema version this package reads. */
export const MANIFEST_SCHEMA_VERSION = 1;
