/**
 * The training-image augmentations: the mirror image checked against a nested-array
 * reference (rows of pixels, each row reversed), the coin flip against the seeded stream it
 * draws from, and the per-epoch streams of Dataset.mapRandom.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flipLeftRight, randomFlipLeftRight } from '../../src/data/augment.ts';
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
