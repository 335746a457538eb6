// The BottleNet compressor and decompressor: quantizer, tiling, feature codecs and the frame.
import './codecs/builtin.js';

export {
  encodeFeatureFrame,
  decodeFeatureFrame,
  decodeFeatureFrameInto,
} from './frame/feature-frame.js';
export type {
  EncodeFeatureOptions,
  DecodeFeatureOptions,
  DecodedFeature,
  FrameInfo,
  JpegMode,
} from './frame/feature-frame.js';
export { FeatureFrameEncoder } from './frame/frame-encoder.js';
export { parseFrameHeader, frameHeaderLength } from './frame/frame-header.js';
export type { FrameHeader, FrameLimits } from './frame/frame-header.js';
export {
  CodecErrorType,
  CODEC_ERROR_TYPES,
  isCodecError,
  codecErrorCode,
} from './frame/frame-error.js';
export { quantize, dequantize, levelsOf, tensorRange } from './quantize.js';
export type { Quantized } from './quantize.js';
export { tile, untile, tileGrid, tiledSize } from './tiling.js';
export type { FeatureShape, TileGrid, TiledImage } from './tiling.js';
export { encodeJpegImage, decodeJpegImage } from './jpeg/jpeg-image.js';
export type {
  DecodedImage,
  DecodeJpegImageOptions,
  EncodeJpegImageOptions,
} from './jpeg/jpeg-image.js';
export { PixelNormalizer } from './image/pixel-normalizer.js';
export type { PixelNormalization } from './image/pixel-normalizer.js';

// For codec authors and tools (vectors, benchmarks, the Python cross-check): lower-level pieces.
export { registerCodec, codecById, codecByName, codecNames } from './codecs/codec.js';
export type { FeatureCodec, ImageCodec, LevelCodec, CodecContext } from './codecs/codec.js';
export { levelToPixelTable, pixelToLevelTable } from './quantize.js';
export { abbreviatedHeader, scanBounds } from './jpeg/abbreviated.js';
export { luminanceQuantTable } from './jpeg/jpeg-tables.js';
export {
  FRAME_VERSION,
  FRAME_FIXED_HEADER_BYTES,
  FLAG_TABLES_OMITTED,
  FLAG_COMPACT_JPEG,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_ELEMENTS,
  writeFrameHeader,
} from './frame/frame-header.js';
export { codecError } from './frame/frame-error.js';
