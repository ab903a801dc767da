import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeToSquare } from '../../src/data/image.ts';
import { synthFlowerJpeg } from '../../src/data/synth.ts';
import { packUnitBytes, unpackUnitBytes } from '../../src/data/unit-bytes.ts';

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('unit bytes', () => {
  it('bytes -> f32 -> bytes is the identity', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (b) => {
        expect(packUnitBytes(unpackUnitBytes(b))).toEqual(b);
      }),
    );
  });

  it('a JPEG decoded at its own size packs, and unpacks to the same f32 bits', () => {
    const { jpeg } = synthFlowerJpeg(7, 3, 24);
    const img = decodeToSquare(jpeg, 24).data;
    const packed = packUnitBytes(img);
    expect(packed).toBeDefined();
    expect(bits(unpackUnitBytes(packed!))).toEqual(bits(img));
  });

  it('a resized image (values between the k/255 steps) is not packed', () => {
    const { jpeg } = synthFlowerJpeg(7, 3, 24);
    expect(packUnitBytes(decodeToSquare(jpeg, 17).data)).toBeUndefined();
  });

  it('refuses values off the grid, out of [0, 1], NaN and -0', () => {
    for (const v of [0.5, 1 / 255 + 1e-6, -1 / 255, 256 / 255, Number.NaN, -0]) expect(packUnitBytes(Float32Array.of(0, v))).toBeUndefined();
  });
});
