/**
 * @module data/augment
 * Random augmentations of decoded training images, as tf.image does them on the host's input
 * pipeline (not on the TPU): pure functions of the image and a seeded stream (./random.ts),
 * so an epoch's augmented images are the same bits in a resumed run. Imports ./random and
 * ./flower-transforms (types only).
 */
import type { Flower } from './flower-transforms.ts';
import type { Rng } from './random.ts';

/** The augmentations `tpusim train --augment` knows. */
export const AUGMENTATIONS = ['none', 'flip'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

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
  const size = Math.round(Math.sqrt(f.image.length / 3));
  if (size * size * 3 !== f.image.length) throw new RangeError(`randomFlipLeftRight: ${f.image.length} values are not a square RGB image`);
  return { image: flipLeftRight(f.image, size, size, 3), label: f.label };
}
