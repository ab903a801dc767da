/**
 * An independent oracle for f32 -> bf16 rounding: exact rational arithmetic (BigInt) on the
 * value an f32 bit pattern denotes, rounding to the nearest multiple of the bf16 quantum with
 * ties to even. Shares no code with src/bfloat16.
 */

/** Value of f32 bits as sign * m * 2^e (m, e integers), or null for NaN / Inf. */
function decode(bits: number): { neg: boolean; m: bigint; e: number } | null {
  const neg = bits >>> 31 === 1;
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0xff) return null;
  if (exp === 0) return { neg, m: BigInt(frac), e: -149 };
  return { neg, m: BigInt(frac | 0x800000), e: exp - 150 };
}

function pow2(e: number): { num: bigint; den: bigint } {
  return e >= 0 ? { num: 1n << BigInt(e), den: 1n } : { num: 1n, den: 1n << BigInt(-e) };
}

/**
 * The bf16 value (as a JS number) that rounding the f32 with these bits must give.
 * NaN for NaN input; subnormal f32 inputs become signed zero under 'flush'.
 */
export function referenceBf16(bits: number, mode: 'flush' | 'keep'): number {
  const exp = (bits >>> 23) & 0xff;
  const neg = bits >>> 31 === 1;
  if (exp === 0xff) return (bits & 0x7fffff) !== 0 ? NaN : neg ? -Infinity : Infinity;
  const d = decode(bits)!;
  if (d.m === 0n || (mode === 'flush' && exp === 0)) return neg ? -0 : 0;
  // |v| = m * 2^e. Find floor(log2 |v|).
  const log2 = d.m.toString(2).length - 1 + d.e;
  const qExp = Math.max(log2, -126) - 7; // bf16 has 7 fraction bits; subnormal quantum 2^-133
  // n = |v| / 2^qExp = m * 2^(e - qExp), rounded to nearest, ties to even.
  const shift = d.e - qExp;
  let n: bigint;
  if (shift >= 0) n = d.m << BigInt(shift);
  else {
    const den = 1n << BigInt(-shift);
    const q = d.m / den;
    const r = d.m - q * den;
    const twice = 2n * r;
    n = twice > den || (twice === den && (q & 1n) === 1n) ? q + 1n : q;
  }
  // Largest bf16 is (2^8 - 1) * 2^(127-7); anything that rounds past it is Inf.
  const { num, den } = pow2(qExp);
  const value = n * num > 255n * (1n << 120n) * den ? Infinity : Number(n * num) / Number(den);
  return neg ? -value : value;
}
