import {
  FeatureFrameEncoder,
  decodeJpegImage,
  encodeJpegImage,
  isCodecError,
} from '@bottlenet/bottleneck-codec';
import { Code, MeshError } from '@bottlenet/errors';
import type { AgentCodec, FeatureTarget, ImageInput } from './types.js';
import { decodePnm, isPnm } from './pnm.js';

/**
 * The agent's codec over @bottlenet/bottleneck-codec. Features go through one `FeatureFrameEncoder` per
 * partition (shape and codec options checked once, not per request), at that partition's codec.
 */
export function createAgentCodec(): AgentCodec {
  const encoders = new WeakMap<FeatureTarget, FeatureFrameEncoder>();
  return {
    encodeFeatures(features, target) {
      let enc = encoders.get(target);
      if (enc === undefined) {
        const [c, h, w] = target.featureShape;
        const { kind, quality, bits } = target.codec;
        enc = new FeatureFrameEncoder([c!, h!, w!], { codec: kind, quality, bits });
        encoders.set(target, enc);
      }
      return enc.encode(features);
    },
    encodeImage(image, quality) {
      return encodeJpegImage(image.pixels, image.width, image.height, image.channels, quality);
    },
    decodeImage(bytes, channels): ImageInput {
      if (isPnm(bytes)) {
        const img = decodePnm(bytes);
        return img.channels === channels ? img : convert(img, channels);
      }
      if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
        throw new MeshError(Code.InvalidArgument, 'image is neither a JPEG nor a binary PGM/PPM', {
          type: 'image_bad_input',
        });
      }
      try {
        const d = decodeJpegImage(bytes, { channels });
        return { pixels: d.pixels, width: d.width, height: d.height, channels: d.channels };
      } catch (e) {
        if (isCodecError(e))
          throw new MeshError(Code.InvalidArgument, `image could not be decoded: ${e.rawMessage}`, {
            cause: e,
            type: 'image_bad_input',
          });
        throw e;
      }
    },
  };
}

function convert(img: ImageInput, channels: 1 | 3): ImageInput {
  const n = img.width * img.height;
  const out = new Uint8Array(n * channels);
  if (channels === 1) {
    for (let i = 0; i < n; i++)
      out[i] = Math.round(
        0.299 * img.pixels[3 * i]! +
          0.587 * img.pixels[3 * i + 1]! +
          0.114 * img.pixels[3 * i + 2]!,
      );
  } else {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = img.pixels[i]!;
  }
  return { pixels: out, width: img.width, height: img.height, channels };
}
