import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BF16,
  bitsToF32,
  f32BitsToBf16Bits,
  fromBf16Bits,
  isBf16NaN,
  roundToBf16,
  toBf16Bits,
  type SubnormalMode,
} from '../../src/bfloat16/index.ts';
import { referenceBf16 } from './reference.ts';

const modes: SubnormalMode[] = ['flush', 'keep'];

/** Asserts that our rounding of `bits` equals the rational reference, including -0 and NaN. */
function expectMatchesReference(bits: number, mode: SubnormalMode): void {
  const got = f32BitsToBf16Bits(bits >>> 0, mode);
  const want = referenceBf16(bits >>> 0, mode);
  if (Number.isNaN(want)) {
    expect(isBf16NaN(got)).toBe(true);
    expect(got & 0x7fff).toBe(0x7fc0); // quiet, no payload
    expect(got >>> 15).toBe(bits >>> 31); // sign kept
    return;
  }
  expect(Object.is(fromBf16Bits(got), want), `bits 0x${(bits >>> 0).toString(16)} (${mode}): got ${fromBf16Bits(got)}, want ${want}`).toBe(true);
}

/** f32 patterns near a bf16 rounding boundary: the low 16 bits at and around the tie. */
const adversarialBits = fc
  .tuple(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0x0000, 0x0001, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff))
  .map(([high, low]) => ((high << 16) | low) >>> 0);

/** Largest finite values and subnormals, both signs. */
const edgeBits = fc
  .tuple(fc.boolean(), fc.oneof(fc.integer({ min: 0x7f7f0000, max: 0x7f7fffff }), fc.integer({ min: 0, max: 0x007fffff }), fc.integer({ min: 0x00800000, max: 0x0081ffff })))
  .map(([neg, b]) => (neg ? (b | 0x80000000) >>> 0 : b));

describe('f32 -> bf16 rounding', () => {
  for (const mode of modes) {
    it(`matches exact rational rounding on random f32 patterns (${mode})`, () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (b) => expectMatchesReference(b, mode)), { numRuns: 20_000, seed: 1 });
    });
    it(`matches on values at and around each rounding boundary (${mode})`, () => {
      fc.assert(fc.property(adversarialBits, (b) => expectMatchesReference(b, mode)), { numRuns: 20_000, seed: 2 });
    });
    it(`matches on the largest finite values and subnormals (${mode})`, () => {
      fc.assert(fc.property(edgeBits, (b) => expectMatchesReference(b, mode)), { numRuns: 20_000, seed: 3 });
    });
  }

  it('rounds ties to even in both directions', () => {
    expect(f32BitsToBf16Bits(0x3f808000)).toBe(0x3f80); // tie, kept bit even: down
    expect(f32BitsToBf16Bits(0x3f818000)).toBe(0x3f82); // tie, kept bit odd: up
    expect(f32BitsToBf16Bits(0x3f808001)).toBe(0x3f81); // just over the tie: up
    expect(f32BitsToBf16Bits(0x3f807fff)).toBe(0x3f80); // just under: down
  });

  it('overflows past the largest bf16 to Inf and keeps signed zeros and infinities', () => {
    expect(toBf16Bits(3.4e38)).toBe(BF16.inf);
    expect(toBf16Bits(-3.4e38)).toBe(BF16.negInf);
    expect(f32BitsToBf16Bits(0x7f7f7fff)).toBe(BF16.max); // under the tie stays finite
    expect(f32BitsToBf16Bits(0x7f7f8000)).toBe(BF16.inf); // tie with odd 0x7f7f goes to Inf
    expect(toBf16Bits(-0)).toBe(0x8000);
    expect(toBf16Bits(Infinity)).toBe(BF16.inf);
    expect(toBf16Bits(-Infinity)).toBe(BF16.negInf);
  });

  it('turns every NaN into the quiet NaN of its sign', () => {
    expect(f32BitsToBf16Bits(0x7f800001)).toBe(0x7fc0); // signalling, payload only in low bits
    expect(f32BitsToBf16Bits(0xffc12345)).toBe(0xffc0);
    expect(toBf16Bits(NaN) & 0x7fff).toBe(0x7fc0);
  });

  it('flushes subnormals to signed zero by default and keeps them on request', () => {
    const tiny = bitsToF32(0x00012345);
    expect(Object.is(roundToBf16(tiny), 0)).toBe(true);
    expect(Object.is(roundToBf16(-tiny), -0)).toBe(true);
    expect(toBf16Bits(tiny, 'keep')).toBe(0x0001);
    expect(f32BitsToBf16Bits(0x007fffff, 'keep')).toBe(BF16.minNormal); // rounds up into normal
    expect(f32BitsToBf16Bits(0x007fffff, 'flush')).toBe(0);
  });
});

describe('bf16 -> f32', () => {
  it('round-trips every one of the 65536 bf16 patterns exactly (keep)', () => {
    for (let b = 0; b < 0x10000; b++) {
      const back = toBf16Bits(fromBf16Bits(b), 'keep');
      if (isBf16NaN(b)) expect(isBf16NaN(back)).toBe(true);
      else if (back !== b) expect.fail(`pattern 0x${b.toString(16)} came back as 0x${back.toString(16)}`);
    }
  });

  it('round-trips every normal pattern under flush and sends subnormals to signed zero', () => {
    for (let b = 0; b < 0x10000; b++) {
      const back = toBf16Bits(fromBf16Bits(b), 'flush');
      const subnormal = (b & 0x7f80) === 0;
      if (isBf16NaN(b)) expect(isBf16NaN(back)).toBe(true);
      else if (subnormal) expect(back).toBe(b & 0x8000);
      else if (back !== b) expect.fail(`pattern 0x${b.toString(16)} came back as 0x${back.toString(16)}`);
    }
  });

  it('is exact: the bf16 bits are the high half of the f32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (b) => {
        const v = fromBf16Bits(b);
        const f = new Float32Array([v]);
        if (!isBf16NaN(b)) expect(new Uint32Array(f.buffer)[0]).toBe((b << 16) >>> 0);
      }),
      { seed: 4 },
    );
  });
});
