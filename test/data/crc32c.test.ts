import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cUpdate, crc32cUpdateBytewise, maskCrc, unmaskCrc } from '../../src/data/crc32c.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('slicing-by-8 equals the byte-at-a-time loop for any bytes, offsets and lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(20), (bytes, cut) => {
        const start = Math.min(cut, bytes.length);
        const fast = crc32cUpdate(0xffffffff, bytes, start);
        expect(fast).toBe(crc32cUpdateBytewise(0xffffffff, bytes, start));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('can be computed in pieces', () => {
    const b = ascii('123456789');
    const state = crc32cUpdate(crc32cUpdate(0xffffffff, b, 0, 4), b, 4);
    expect((state ^ 0xffffffff) >>> 0).toBe(0xe3069283);
  });

  it("masks as TensorFlow does and unmasks back", () => {
    const crc = 0xe3069283;
    const rot = ((crc >>> 15) | (crc << 17)) >>> 0;
    expect(maskCrc(crc)).toBe((rot + 0xa282ead8) % 2 ** 32);
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (c) => unmaskCrc(maskCrc(c)) === c), { seed: 3 });
  });
});
