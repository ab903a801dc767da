/**
 * The WASM kernel rounds its operands to bf16 while packing them (src/mxu/wasm/kernel.ts,
 * `bf16x4`): every packed value must have exactly the bits of bfloat16's `roundToBf16Array`
 * on the same input, in both subnormal modes, for special values and random bit patterns,
 * and every padding slot must be +0. Checked through `WasmKernel.packOperands`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundToBf16Array, type SubnormalMode } from '../../src/bfloat16/index.ts';
import { wasmKernel } from '../../src/mxu/wasm-loader.ts';
import { bits, randomBitsOperand } from './kernel-operands.ts';

/** The expected packed A: row r, column k of bf16(a) at ((r >> 2) * K + k) * 4 + (r & 3). */
function expectedPackedA(a: Float32Array, m: number, k: number, subnormals: SubnormalMode): Float32Array {
  const r = roundToBf16Array(a, undefined, subnormals);
  const out = new Float32Array(Math.ceil(m / 4) * 4 * k);
  for (let row = 0; row < m; row++) for (let kk = 0; kk < k; kk++) out[((row >> 2) * k + kk) * 4 + (row & 3)] = r[row * k + kk]!;
  return out;
}

/** The expected packed B: 8-wide column panels, then one 4-wide panel if ceil(N/4) is odd. */
function expectedPackedB(b: Float32Array, k: number, n: number, subnormals: SubnormalMode): Float32Array {
  const r = roundToBf16Array(b, undefined, subnormals);
  const cols = Math.ceil(n / 4) * 4;
  const out = new Float32Array(k * cols);
  for (let col = 0; col < n; col++) {
    const panel = col >> 3;
    const width = panel * 8 + 8 <= cols ? 8 : 4;
    for (let kk = 0; kk < k; kk++) out[panel * 8 * k + kk * width + (col & 7)] = r[kk * n + col]!;
  }
  return out;
}

describe('bf16 rounding inside the WASM pack step', () => {
  it('equals roundToBf16Array bit for bit (special values, random patterns, both subnormal modes, all pack paths)', () => {
    const kernel = wasmKernel();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 23 }),
        fc.constantFrom<SubnormalMode>('flush', 'keep'),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (m, k, n, subnormals, seed) => {
          const a = randomBitsOperand(m * k, seed);
          const b = randomBitsOperand(k * n, seed ^ 0x2545f491);
          const packed = kernel.packOperands(a, b, { m, k, n }, subnormals);
          expect([...bits(packed.a)]).toEqual([...bits(expectedPackedA(a, m, k, subnormals))]);
          expect([...bits(packed.b)]).toEqual([...bits(expectedPackedB(b, k, n, subnormals))]);
        },
      ),
      { seed: 311, numRuns: 300 },
    );
  });

  it('flushes or keeps subnormals as asked, and quiets NaNs with their sign', () => {
    const x = new Float32Array(new Uint32Array([0x00000001, 0x807fffff, 0x7f800001, 0xffbfffff, 0x7f7fffff, 0x3f808000, 0x3f818000, 0x80000000]).buffer);
    const flush = wasmKernel().packOperands(x, x, { m: 1, k: 8, n: 1 }, 'flush').b;
    const keep = wasmKernel().packOperands(x, x, { m: 1, k: 8, n: 1 }, 'keep').b;
    const column = (p: Float32Array) => [...bits(p)].filter((_, i) => i % 4 === 0).map((v) => v >>> 16);
    expect(column(flush)).toEqual([0x0000, 0x8000, 0x7fc0, 0xffc0, 0x7f80, 0x3f80, 0x3f82, 0x8000]);
    expect(column(keep)).toEqual([0x0000, 0x8080, 0x7fc0, 0xffc0, 0x7f80, 0x3f80, 0x3f82, 0x8000]);
  });
});
