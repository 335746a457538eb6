import { Code, MeshError } from '@bottlenet/errors';

/**
 * The closed set of error kinds of this package. Each rejected frame, option or image gets exactly
 * one of them in `MeshError.type`, so that a server can answer with a specific status and message.
 */
export const CodecErrorType = {
  /** The frame is shorter than its fixed header or than the payload length it declares. */
  Truncated: 'frame_truncated',
  /** The frame (or a decoded image) is larger than the configured limit. */
  Oversized: 'frame_oversized',
  /** The first two bytes are not the frame magic. */
  BadMagic: 'frame_bad_magic',
  /** The frame's version byte is not one this build reads. */
  UnsupportedVersion: 'frame_unsupported_version',
  /** The codec id (or codec name) is not registered. */
  UnknownCodec: 'frame_unknown_codec',
  /** A header field is out of range: bits, flags, quality, a zero or too large dimension. */
  BadHeader: 'frame_bad_header',
  /** The frame's shape differs from the shape the caller expects. */
  ShapeMismatch: 'frame_shape_mismatch',
  /** The payload size does not fit the shape, or bytes follow the declared payload. */
  PayloadMismatch: 'frame_payload_mismatch',
  /** min or max is NaN or infinite, or min > max. */
  BadRange: 'frame_bad_range',
  /** The codec could not decode the payload (corrupt JPEG/PNG/raw data). */
  CorruptPayload: 'frame_corrupt_payload',
  /** Encoder options are invalid: codec, quality, bits, shape vs data length. */
  BadOptions: 'codec_bad_options',
  /** The tensor to encode holds NaN or an infinity. */
  NonFiniteInput: 'codec_non_finite_input',
  /** The destination of decodeFeatureFrameInto is too small for the frame at that offset. */
  OutputTooSmall: 'codec_output_too_small',
  /** An input image (encodeJpegImage/decodeJpegImage) is malformed or unsupported. */
  BadImage: 'image_bad_input',
  /** The libturbojpeg addon is not built on this machine. */
  NativeMissing: 'codec_native_missing',
} as const;

export type CodecErrorType = (typeof CodecErrorType)[keyof typeof CodecErrorType];

/** Every value of {@link CodecErrorType}, for registries and docs checks. */
export const CODEC_ERROR_TYPES: readonly CodecErrorType[] = Object.freeze(
  Object.values(CodecErrorType),
);

const codeOf: Record<CodecErrorType, Code> = {
  frame_truncated: Code.InvalidArgument,
  frame_oversized: Code.ResourceExhausted,
  frame_bad_magic: Code.InvalidArgument,
  frame_unsupported_version: Code.InvalidArgument,
  frame_unknown_codec: Code.InvalidArgument,
  frame_bad_header: Code.InvalidArgument,
  frame_shape_mismatch: Code.InvalidArgument,
  frame_payload_mismatch: Code.InvalidArgument,
  frame_bad_range: Code.InvalidArgument,
  frame_corrupt_payload: Code.InvalidArgument,
  codec_bad_options: Code.InvalidArgument,
  codec_non_finite_input: Code.InvalidArgument,
  codec_output_too_small: Code.OutOfRange,
  image_bad_input: Code.InvalidArgument,
  codec_native_missing: Code.FailedPrecondition,
};

/** The gRPC-mirroring code an error of this type carries. */
export function codecErrorCode(type: CodecErrorType): Code {
  return codeOf[type];
}

/** Builds the MeshError for one kind; every codec error is non-retryable (same bytes, same result). */
export function codecError(type: CodecErrorType, message: string, cause?: unknown): MeshError {
  return new MeshError(codeOf[type], message, { type, nonRetryable: true, cause });
}

/** True when `err` (or an error in its cause chain) is a codec error, of `type` when given. */
export function isCodecError(err: unknown, type?: CodecErrorType): err is MeshError {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 16; depth++) {
    if (
      e instanceof MeshError &&
      typeof e.type === 'string' &&
      (CODEC_ERROR_TYPES as readonly string[]).includes(e.type)
    ) {
      if (type === undefined || e.type === type) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
