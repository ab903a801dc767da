/**
 * @module data/augment
 * Random augmentations of decoded training images, as tf.image does them on the host's input
 * pipeline (not on the TPU): pure functions of the image and a seeded stream (./random.ts),
 * so an epoch's augmented images are the same bits in a resumed run. Imports ./image (the
 * bilinear resize), ./random and ./flower-transforms (types only).
 */
import type { Flower } from './flower-transforms.ts';
import { resizeBilinear } from './image.ts';
import type { Rng } from './random.ts';

/**
 * The augmentations `tpusim train --augment` knows: none; flip (`randomFlipLeftRight`);
 * flip-zoom (that flip, then `randomZoom`).
 */
export const AUGMENTATIONS = ['none', 'flip', 'flip-zoom'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

/** The augmentation's function of a flower and the epoch's stream (undefined: none). */
export function augmentationFn(a: Augmentation): ((f: Flower, rng: Rng) => Flower) | undefined {
  if (a === 'flip') return randomFlipLeftRight;
  if (a === 'flip-zoom') return (f, rng) => randomZoom(randomFlipLeftRight(f, rng), rng);
  return undefined;
}

/** The side of a square RGB image of `values` values (a RangeError naming `what` otherwise). */
function squareSide(values: number, what: string): number {
  const size = Math.round(Math.sqrt(values / 3));
  if (size * size * 3 !== values) throw new RangeError(`${what}: ${values} values are not a square RGB image`);
  return size;
}

/**
 * A mirror image: column x of each row becomes column width-1-x (tf.image.flip_left_right).
 * image: [height, width, channels], row-major, channels last.
 */
export function flipLeftRight(image: Float32Array, height: number, width: number, channels: number): Float32Array {
  if (image.length !== height * width * channels) throw new RangeError(`flipLeftRight: ${image.length} values are not ${height} x ${width} x ${channels}`);
  const out = new Float32Array(image.length);
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = y * row + x * channels;
      const to = y * row + (width - 1 - x) * channels;
      for (let ch = 0; ch < channels; ch++) out[to + ch] = image[from + ch]!; // a subarray per pixel costs 10x the copy
    }
  }
  return out;
}

/**
 * tf.image.random_flip_left_right for a square RGB flower: mirrored with probability 1/2 (one
 * draw of `rng` per image, flipped or not, so the stream stays in step).
 */
export function randomFlipLeftRight(f: Flower, rng: Rng): Flower {
  if (rng.next() >= 0.5) return f;
  const size = squareSide(f.image.length, 'randomFlipLeftRight');
  return { image: flipLeftRight(f.image, size, size, 3), label: f.label };
}

/** The smallest crop of `randomZoom`, as a fraction of the image's side: zooms up to 1.25x. */
export const ZOOM_MIN_CROP = 0.8;

/**
 * A random zoom of a square RGB flower (Keras's RandomZoom inward; tf.image.random_crop then
 * tf.image.resize): a square of side round(size x s), s uniform in [minCrop, 1], at a uniform
 * random position, resized back to size x size (bilinear, half-pixel centres: ./image.ts). Three
 * draws of `rng` per image (side, top, left), whatever they pick, so the stream stays in step;
 * a crop of the whole image returns the flower as it is.
 */
export function randomZoom(f: Flower, rng: Rng, minCrop = ZOOM_MIN_CROP): Flower {
  if (!(minCrop > 0 && minCrop <= 1)) throw new RangeError(`randomZoom: minCrop must be in (0, 1], got ${minCrop}`);
  const size = squareSide(f.image.length, 'randomZoom');
  const side = Math.max(1, Math.round(size * (minCrop + (1 - minCrop) * rng.next())));
  const top = Math.floor(rng.next() * (size - side + 1));
  const left = Math.floor(rng.next() * (size - side + 1));
  if (side === size) return f;
  const zoomed = resizeBilinear({ height: size, width: size, channels: 3, data: f.image }, size, size, { crop: { top, left, height: side, width: side } });
  return { image: zoomed.data, label: f.label };
}
