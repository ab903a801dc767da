import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bf16ToF32Array,
  f32BitsToBf16Bits,
  f32ToBf16Array,
  fromBf16Bits,
  roundToBf16Array,
  type SubnormalMode,
} from '../../src/bfloat16/index.ts';

const anyBits = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 0, maxLength: 300 });

function f32FromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

describe('bulk bf16 conversion', () => {
  for (const mode of ['flush', 'keep'] as SubnormalMode[]) {
    it(`f32ToBf16Array equals the scalar rounding on every element (${mode})`, () => {
      fc.assert(
        fc.property(anyBits, (bits) => {
          const out = f32ToBf16Array(f32FromBits(bits), undefined, mode);
          bits.forEach((b, i) => expect(out[i]).toBe(f32BitsToBf16Bits(b, mode)));
        }),
        { seed: 5 },
      );
    });
    it(`roundToBf16Array keeps the bf16 as f32 bits (${mode})`, () => {
      fc.assert(
        fc.property(anyBits, (bits) => {
          const out = new Uint32Array(roundToBf16Array(f32FromBits(bits), undefined, mode).buffer);
          bits.forEach((b, i) => expect(out[i]).toBe((f32BitsToBf16Bits(b, mode) << 16) >>> 0));
        }),
        { seed: 6 },
      );
    });
  }

  it('bf16ToF32Array widens exactly', () => {
    const src = new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x8000, 0x0001]);
    expect(Array.from(bf16ToF32Array(src))).toEqual(Array.from(src, fromBf16Bits));
  });

  it('rounds in place when dst is src', () => {
    const x = new Float32Array([1 / 3, 70000]);
    roundToBf16Array(x, x);
    expect(Array.from(x)).toEqual([0.333984375, 70144]);
  });

  it('names both lengths when dst does not fit', () => {
    expect(() => f32ToBf16Array(new Float32Array(3), new Uint16Array(2))).toThrow(/dst has 2 elements, src has 3/);
  });
});
