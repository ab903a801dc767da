/**
 * The training-image augmentations: the mirror image checked against a nested-array
 * reference (rows of pixels, each row reversed), the coin flip against the seeded stream it
 * draws from, the zoom against a bilinear crop-and-resize written here from TF's half-pixel
 * rule, and the per-epoch streams of Dataset.mapRandom.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZOOM_MIN_CROP, augmentationFn, flipLeftRight, randomFlipLeftRight, randomZoom } from '../../src/data/augment.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { mixSeeds, Rng } from '../../src/data/random.ts';

/** The image as rows of pixels, each pixel its channel values. */
const rows = (image: Float32Array, h: number, w: number, c: number): number[][][] =>
  Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => Array.from(image.slice((y * w + x) * c, (y * w + x + 1) * c))));

describe('flipLeftRight', () => {
  it('reverses the pixels of every row and keeps each pixel\'s channels in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (h, w, c, seed) => {
        const rng = new Rng(seed);
        const image = Float32Array.from({ length: h * w * c }, () => rng.next());
        const flipped = flipLeftRight(image, h, w, c);
        expect(rows(flipped, h, w, c)).toEqual(rows(image, h, w, c).map((r) => [...r].reverse()));
        expect(flipLeftRight(flipped, h, w, c)).toEqual(image);
      }),
      { seed: 12, numRuns: 60 },
    );
  });

  it('refuses an image whose size is not height x width x channels', () => {
    expect(() => flipLeftRight(new Float32Array(10), 2, 2, 3)).toThrow(/10 values are not 2 x 2 x 3/);
    expect(() => randomFlipLeftRight({ image: new Float32Array(10), label: 0 }, { next: () => 0 } as unknown as Rng)).toThrow(/not a square RGB image/);
  });
});

describe('randomFlipLeftRight', () => {
  it('mirrors an image exactly when its one draw from the stream is below 1/2, and keeps the label', () => {
    const size = 3;
    const image = Float32Array.from({ length: size * size * 3 }, (_, i) => i / 27);
    const mirrored = flipLeftRight(image, size, size, 3);
    const draws = new Rng(99);
    const rng = new Rng(99);
    let flips = 0;
    for (let i = 0; i < 400; i++) {
      const out = randomFlipLeftRight({ image, label: 4 }, rng);
      const expectFlip = draws.next() < 0.5;
      flips += expectFlip ? 1 : 0;
      expect(out.label).toBe(4);
      expect(out.image).toEqual(expectFlip ? mirrored : image);
    }
    expect(flips).toBeGreaterThan(160);
    expect(flips).toBeLessThan(240);
  });
});

/**
 * The reference zoom: the crop's box from three uniform draws u (side, top, left) as the
 * docs state them, then each output pixel sampled at half-pixel centres in the crop,
 * clamped at its edges, bilinear between the 4 neighbours: tf.image.resize's rule.
 */
function referenceZoom(image: Float32Array, size: number, u: readonly number[], minCrop: number): Float32Array {
  const side = Math.max(1, Math.round(size * (minCrop + (1 - minCrop) * u[0]!)));
  const top = Math.floor(u[1]! * (size - side + 1));
  const left = Math.floor(u[2]! * (size - side + 1));
  const px = (y: number, x: number, ch: number) => image[((top + y) * size + left + x) * 3 + ch]!;
  const out: number[] = [];
  for (let oy = 0; oy < size; oy++) {
    const sy = Math.max(0, ((oy + 0.5) * side) / size - 0.5);
    const y0 = Math.min(Math.floor(sy), side - 1);
    const y1 = Math.min(y0 + 1, side - 1);
    for (let ox = 0; ox < size; ox++) {
      const sx = Math.max(0, ((ox + 0.5) * side) / size - 0.5);
      const x0 = Math.min(Math.floor(sx), side - 1);
      const x1 = Math.min(x0 + 1, side - 1);
      for (let ch = 0; ch < 3; ch++) {
        const upper = px(y0, x0, ch) * (1 - (sx - x0)) + px(y0, x1, ch) * (sx - x0);
        const lower = px(y1, x0, ch) * (1 - (sx - x0)) + px(y1, x1, ch) * (sx - x0);
        out.push(upper * (1 - (sy - y0)) + lower * (sy - y0));
      }
    }
  }
  return Float32Array.from(out);
}

describe('randomZoom', () => {
  it('is the bilinear resize of the square its three draws pick, back to the full size, label kept', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.double({ min: 0.3, max: 1, noNaN: true }), fc.integer(), (size, minCrop, seed) => {
        const values = new Rng(seed);
        const image = Float32Array.from({ length: size * size * 3 }, () => values.next());
        const draws = new Rng(seed + 1);
        const u = [draws.next(), draws.next(), draws.next()];
        const zoomed = randomZoom({ image, label: 3 }, new Rng(seed + 1), minCrop);
        expect(zoomed.label).toBe(3);
        const expected = referenceZoom(image, size, u, minCrop);
        expect(zoomed.image.length).toBe(expected.length);
        zoomed.image.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      }),
      { seed: 21, numRuns: 80 },
    );
  });

  it('takes exactly three draws per image, whatever it picks, so the stream stays in step', () => {
    let n = 0;
    const counting = { next: () => (n++, 0.999) } as unknown as Rng;
    const image = new Float32Array(5 * 5 * 3).fill(0.5);
    for (const minCrop of [1, ZOOM_MIN_CROP, 0.3]) {
      n = 0;
      randomZoom({ image, label: 0 }, counting, minCrop);
      expect(n).toBe(3);
    }
  });

  it('zooms in by up to 1.25x: a crop of at least 0.8 of the side, and of the whole image with the largest draw', () => {
    const size = 20;
    const image = Float32Array.from({ length: size * size * 3 }, (_, i) => Math.floor(i / 3) % size); // each pixel's column
    const at = (u: number) => randomZoom({ image, label: 0 }, { next: () => u } as unknown as Rng).image;
    expect(at(0.9999)).toBe(image); // side round(20 x 0.99998) = 20: the flower as it is
    const smallest = at(0); // side 16 at (0, 0): columns 0..15 stretched over 20
    expect(smallest[0]).toBe(0);
    expect(smallest[(size - 1) * 3]).toBe(15);
  });

  it('refuses a minCrop outside (0, 1] and an image that is not square RGB', () => {
    const image = new Float32Array(12);
    expect(() => randomZoom({ image, label: 0 }, new Rng(1), 0)).toThrow(/minCrop must be in \(0, 1\], got 0/);
    expect(() => randomZoom({ image, label: 0 }, new Rng(1), 1.5)).toThrow(/got 1.5/);
    expect(() => randomZoom({ image: new Float32Array(10), label: 0 }, new Rng(1))).toThrow(/randomZoom: 10 values are not a square RGB image/);
  });
});

describe('augmentationFn', () => {
  it('none is no function; flip is the coin flip alone; flip-zoom flips with the first draw and zooms with the next three', () => {
    expect(augmentationFn('none')).toBeUndefined();
    expect(augmentationFn('flip')).toBe(randomFlipLeftRight);
    const size = 6;
    const image = Float32Array.from({ length: size * size * 3 }, (_, i) => i);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rng = new Rng(seed);
      const expected = randomZoom(randomFlipLeftRight({ image, label: 1 }, rng), rng);
      expect(augmentationFn('flip-zoom')!({ image, label: 1 }, new Rng(seed))).toEqual(expected);
    }
  });
});

describe('Dataset.mapRandom', () => {
  const draws = (ds: Dataset<number>) => ds.toArray();

  it('draws from the stream of (seed, pass): a new stream each pass, the same for the same pass of a resumed run', async () => {
    const ds = Dataset.range(5).mapRandom((x, rng) => x + rng.next(), { seed: 7 });
    const [first, second] = [await draws(ds), await draws(ds)];
    expect(first).not.toEqual(second);
    const expected = (pass: number) => {
      const rng = new Rng(mixSeeds(7, pass));
      return [0, 1, 2, 3, 4].map((x) => x + rng.next());
    };
    expect(first).toEqual(expected(0));
    expect(second).toEqual(expected(1));
    expect(await draws(Dataset.range(5).mapRandom((x, rng) => x + rng.next(), { seed: 7, firstIteration: 1 }))).toEqual(second);
  });
});
