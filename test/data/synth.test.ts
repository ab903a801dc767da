import { describe, expect, it } from 'vitest';
import { decodeJpeg } from '../../src/data/image.ts';
import { drawFlower, FLOWER_CLASSES, synthFlowerF32, synthFlowerJpeg, synthItem } from '../../src/data/synth.ts';
import { synthFlowers } from '../../src/data/flowers.ts';

const S = 32;

/** Mean RGB over a 4x4 grid of cells: a crude feature a nearest-centroid classifier can use. */
function gridFeatures(img: Float32Array, size: number): number[] {
  const cell = size / 4;
  const f: number[] = [];
  for (let gy = 0; gy < 4; gy++) {
    for (let gx = 0; gx < 4; gx++) {
      const sum = [0, 0, 0];
      for (let y = gy * cell; y < (gy + 1) * cell; y++) for (let x = gx * cell; x < (gx + 1) * cell; x++) for (let k = 0; k < 3; k++) sum[k]! += img[(y * size + x) * 3 + k]!;
      f.push(...sum.map((v) => v / (cell * cell)));
    }
  }
  return f;
}

describe('synthetic flowers', () => {
  it('are deterministic per (class, size, seed) and vary with the seed', () => {
    expect(drawFlower(2, S, 7).data).toEqual(drawFlower(2, S, 7).data);
    expect(drawFlower(2, S, 7).data).not.toEqual(drawFlower(2, S, 8).data);
    expect(drawFlower(4, 50, 1).data.length).toBe(50 * 50 * 3);
  });

  it('balance the five classes and come as f32 in [0, 1] or as JPEG', () => {
    expect([0, 1, 2, 3, 4, 5].map((i) => synthItem(1, i).label)).toEqual([0, 1, 2, 3, 4, 0]);
    const f = synthFlowerF32(1, 3, S);
    expect(f.label).toBe(3);
    expect(f.image.length).toBe(S * S * 3);
    expect(Math.min(...f.image)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...f.image)).toBeLessThanOrEqual(1);
    const j = synthFlowerJpeg(1, 3, S);
    expect(decodeJpeg(j.jpeg).width).toBe(S);
    expect(FLOWER_CLASSES).toEqual(['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);
  });

  it('are the same drawn on a worker thread as on the main thread', async () => {
    const here = await synthFlowers({ count: 6, size: 12, seed: 3 }).toArray();
    const there = await synthFlowers({ count: 6, size: 12, seed: 3, workers: 1 }).toArray();
    expect(there).toEqual(here);
  });

  it('are learnable: a nearest-centroid classifier on coarse colour beats 70 % on unseen images', async () => {
    const train = await synthFlowers({ count: 100, size: S, seed: 1 }).toArray();
    const test = await synthFlowers({ count: 50, size: S, seed: 2 }).toArray();
    const centroids = FLOWER_CLASSES.map((_, c) => {
      const fs = train.filter((t) => t.label === c).map((t) => gridFeatures(t.image, S));
      return fs[0]!.map((_, j) => fs.reduce((a, f) => a + f[j]!, 0) / fs.length);
    });
    const predict = (img: Float32Array) => {
      const f = gridFeatures(img, S);
      const d = centroids.map((c) => c.reduce((a, v, j) => a + (v - f[j]!) ** 2, 0));
      return d.indexOf(Math.min(...d));
    };
    const accuracy = test.filter((t) => predict(t.image) === t.label).length / test.length;
    expect(accuracy).toBeGreaterThan(0.7);
  });
});
