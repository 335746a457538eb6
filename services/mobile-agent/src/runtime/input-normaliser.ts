import { PixelNormalizer } from '@bottlenet/bottleneck-codec';
import { normalizeInput, type InputSpec } from '@bottlenet/model-repo';
import type { ImageInput } from './types.js';

/**
 * The agent's hot path for `x = ((pixel / scale) - mean[c]) / std[c]`: `PixelNormalizer` of
 * @bottlenet/bottleneck-codec (per-channel 256-entry float32 tables with the same values as
 * `normalizeInput` of @bottlenet/model-repo, so results are bit-identical; one native pass over the
 * interleaved pixels writing every plane) into a caller's buffer (no allocation). Images whose
 * channel count differs from the model's (gray <-> colour) and every malformed image go to
 * `normalizeInput`, which converts them or throws its specific error.
 */
export class InputNormaliser {
  private readonly pixels: PixelNormalizer;
  readonly length: number;

  constructor(private readonly spec: InputSpec) {
    this.pixels = new PixelNormalizer({ mean: spec.mean, std: spec.std, scale: spec.scale });
    this.length = spec.shape[0] * spec.shape[1] * spec.shape[2];
  }

  /** Normalises `image` into `out` (at least `length` elements) and returns `out`. */
  normalise(image: ImageInput, out: Float32Array = new Float32Array(this.length)): Float32Array {
    const [C, H, W] = this.spec.shape;
    const px = image.pixels;
    if (
      image.channels === C &&
      image.width === W &&
      image.height === H &&
      px.length === this.length &&
      out.length >= this.length
    )
      return this.pixels.toChw(px, out, 0);
    return normalizeInput(
      this.spec,
      { data: px, width: image.width, height: image.height, channels: image.channels },
      { out },
    );
  }
}
