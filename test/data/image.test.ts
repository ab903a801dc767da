import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.ts';
import { centralSquare, decodeJpeg, decodeToSquare, encodeJpeg, resizeBilinear, toFloat01, type Image } from '../../src/data/image.ts';
import { Rng } from '../../src/data/random.ts';

const gray = (h: number, w: number, values: number[]): Image<Float32Array> => ({ height: h, width: w, channels: 1, data: Float32Array.from(values) });

describe('resizeBilinear (TF2 half-pixel centres)', () => {
  it('upsamples 1x2 -> 1x4 to the hand-computed half-pixel values', () => {
    // out x=0..3 sample in-x = (x + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    expect([...resizeBilinear(gray(1, 2, [0, 10]), 1, 4).data]).toEqual([0, 2.5, 7.5, 10]);
  });

  it('halving averages pixel pairs; the same size is the identity', () => {
    expect([...resizeBilinear(gray(1, 4, [0, 2, 4, 8]), 1, 2).data]).toEqual([1, 6]);
    const img = gray(2, 3, [1, 2, 3, 4, 5, 6]);
    expect(resizeBilinear(img, 2, 3).data).toEqual(img.data);
  });

  it('matches tf.image.resizeBilinear(halfPixelCenters) from TensorFlow.js', async () => {
    tf.env().set('IS_TEST', true); // silences TF.js's "install the node backend" hint
    await tf.setBackend('cpu');
    const rng = new Rng(4);
    for (const [h, w, oh, ow] of [[7, 5, 4, 9], [6, 6, 13, 3], [3, 8, 3, 8]] as const) {
      const data = Float32Array.from({ length: h * w * 3 }, () => rng.int(256));
      const ours = resizeBilinear({ height: h, width: w, channels: 3, data }, oh, ow).data;
      const theirs = tf.image.resizeBilinear(tf.tensor3d(data, [h, w, 3]), [oh, ow], false, true).dataSync();
      ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i]!, 3));
    }
  });

  it('resizes a crop and scales', () => {
    const img = gray(2, 4, [0, 0, 100, 200, 0, 0, 100, 200]);
    const out = resizeBilinear(img, 1, 1, { crop: { top: 0, left: 2, height: 2, width: 2 }, scale: 0.01 });
    expect(out.data[0]).toBeCloseTo(1.5, 6);
    expect(() => resizeBilinear(img, 1, 1, { crop: { top: 0, left: 3, height: 2, width: 2 } })).toThrow(DataError);
  });
});

describe('JPEG and the codelab preprocessing', () => {
  const rgb = (h: number, w: number, c: [number, number, number]): Image<Uint8Array> => {
    const data = new Uint8Array(h * w * 3);
    for (let i = 0; i < h * w; i++) data.set(c, 3 * i);
    return { height: h, width: w, channels: 3, data };
  };

  it('encodes and decodes RGB, HWC, close to the original', () => {
    const img = rgb(16, 24, [200, 40, 90]);
    const back = decodeJpeg(encodeJpeg(img, 95));
    expect([back.height, back.width, back.channels]).toEqual([16, 24, 3]);
    for (let i = 0; i < back.data.length; i++) expect(Math.abs(back.data[i]! - img.data[i]!)).toBeLessThanOrEqual(4);
  });

  it('crops the central square, resizes and lands in [0, 1]', () => {
    expect(centralSquare(100, 60)).toEqual({ top: 20, left: 0, height: 60, width: 60 });
    expect(centralSquare(5, 8)).toEqual({ top: 0, left: 1, height: 5, width: 5 });
    // A wide image: red centre square, blue side bands that the crop must remove.
    const img = rgb(16, 32, [0, 0, 255]);
    for (let y = 0; y < 16; y++) for (let x = 8; x < 24; x++) img.data.set([255, 0, 0], 3 * (y * 32 + x));
    const out = decodeToSquare(encodeJpeg(img, 95), 8);
    expect(out.data.length).toBe(8 * 8 * 3);
    for (let p = 0; p < 64; p++) {
      if (p % 8 === 0 || p % 8 === 7) continue; // edge pixels blend JPEG ringing from the border
      expect(out.data[3 * p]!).toBeGreaterThan(0.8);
      expect(out.data[3 * p + 2]!).toBeLessThan(0.2);
    }
    expect(Math.max(...out.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...out.data)).toBeGreaterThanOrEqual(0);
  });

  it('toFloat01 divides by 255', () => {
    expect([...toFloat01(rgb(1, 1, [0, 51, 255])).data]).toEqual([0, 0.2, 1].map((x) => Math.fround(x)));
  });

  it('rejects bytes that are not a JPEG with a DataError', () => {
    expect(() => decodeJpeg(new Uint8Array([1, 2, 3, 4]))).toThrow(DataError);
  });
});
