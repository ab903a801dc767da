/**
 * The WASM SIMD kernels (build/wasm/vpu-kernels.wasm) against the JS loops of
 * src/vpu/kernels.ts, which compute the spec functions: same bits for every op, operand form
 * (array or scalar on either side) and length (tails that are not a multiple of 4), NaN
 * payloads aside. Skipped, with the reason, when the WASM build is missing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BINARY_OPS, COMPARE_OPS, REDUCE_FNS, REDUCE_IDENTITY, type ReduceKind } from '../../src/vpu/index.ts';
import { BINARY_KERNELS, COMPARE_KERNELS, COMPARE_SCALAR_KERNELS, FLIPPED, selectKernel } from '../../src/vpu/kernels.ts';
import { vpuWasm } from '../../src/vpu/wasm.ts';

const wasm = vpuWasm();
const special = fc.constantFrom(0, -0, 1, -1, 0.5, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 1e-45, 1e-40);
const value = fc.oneof(special, fc.float());
const arrayOf = (n: number) => fc.array(value, { minLength: n, maxLength: n }).map((xs) => Float32Array.from(xs));
const triple = fc.integer({ min: 1, max: 600 }).chain((n) => fc.tuple(arrayOf(n), arrayOf(n), arrayOf(n)));
const scalar = value.map(Math.fround);

/** Bit patterns with every NaN made one canonical NaN (ops.ts leaves payloads unspecified). */
const bits = (x: Float32Array): number[] => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length), (b, i) => (Number.isNaN(x[i]) ? 0x7fc00000 : b));
const filled = (n: number, s: number): Float32Array => new Float32Array(n).fill(s);

describe.skipIf(!wasm)('WASM VPU kernels equal the JS loops (skipped when build/wasm/vpu-kernels.wasm is missing: run npm run build:wasm)', () => {
  const w = wasm!;
  it('binary: every op, array-array, array-scalar, scalar-array', () => {
    fc.assert(
      fc.property(triple, scalar, ([a, b], s) => {
        const n = a.length;
        for (const op of BINARY_OPS) {
          const [got, want] = [new Float32Array(n), new Float32Array(n)];
          w.binary(op, a, b, got);
          BINARY_KERNELS[op](a, b, want);
          expect(bits(got)).toEqual(bits(want));
          w.binary(op, a, s, got);
          BINARY_KERNELS[op](a, filled(n, s), want);
          expect(bits(got)).toEqual(bits(want));
          w.binary(op, s, b, got);
          BINARY_KERNELS[op](filled(n, s), b, want);
          expect(bits(got)).toEqual(bits(want));
        }
      }),
      { seed: 31, numRuns: 40 },
    );
  });
  it('compare: every op into an f32 mask, array-array, array-scalar, scalar-array', () => {
    fc.assert(
      fc.property(triple, scalar, ([a, b], s) => {
        const n = a.length;
        for (const op of COMPARE_OPS) {
          const [got, want] = [new Float32Array(n), new Float32Array(n)];
          w.compare(op, a, b, got);
          COMPARE_KERNELS[op](a, b, want);
          expect(bits(got)).toEqual(bits(want));
          w.compare(op, a, s, got);
          COMPARE_SCALAR_KERNELS[op](a, s, want);
          expect(bits(got)).toEqual(bits(want));
          w.compare(op, s, b, got);
          COMPARE_SCALAR_KERNELS[FLIPPED[op]](b, s, want);
          expect(bits(got)).toEqual(bits(want));
        }
      }),
      { seed: 32, numRuns: 40 },
    );
  });
  it('select: the mask is set where nonzero (NaN set, -0 not), every operand form', () => {
    fc.assert(
      fc.property(triple, scalar, scalar, ([m, a, b], s, t) => {
        const n = m.length;
        for (const [x, y] of [[a, b], [a, t], [s, b], [s, t]] as const) {
          const [got, want] = [new Float32Array(n), new Float32Array(n)];
          w.select(m, x, y, got);
          selectKernel(m, x, y, want);
          expect(bits(got)).toEqual(bits(want));
        }
      }),
      { seed: 33, numRuns: 60 },
    );
  });
  it('foldRows: the per-sublane fold of reduce axis 0, every kind, any column count', () => {
    const shape = fc.record({ rows: fc.integer({ min: 1, max: 40 }), cols: fc.integer({ min: 1, max: 70 }) });
    fc.assert(
      fc.property(
        shape.chain((sh) => fc.tuple(fc.constant(sh), arrayOf(sh.rows * sh.cols))),
        ([{ rows, cols }, x]) => {
          for (const kind of ['sum', 'max', 'min'] as ReduceKind[]) {
            const S = 8;
            const want = new Float32Array(S * cols).fill(REDUCE_IDENTITY[kind]);
            for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[(r % S) * cols + c] = REDUCE_FNS[kind](want[(r % S) * cols + c]!, x[r * cols + c]!);
            const got = new Float32Array(S * cols);
            w.foldRows(kind, x, { rows, cols, identity: REDUCE_IDENTITY[kind] }, got);
            expect(bits(got)).toEqual(bits(want));
          }
        },
      ),
      { seed: 34, numRuns: 60 },
    );
  });
  it('transpose: element (r, c) lands at (c, r), any shape (blocks of 16 with ragged edges)', () => {
    const shape = fc.record({ rows: fc.integer({ min: 1, max: 70 }), cols: fc.integer({ min: 1, max: 70 }) });
    fc.assert(
      fc.property(
        shape.chain((sh) => fc.tuple(fc.constant(sh), arrayOf(sh.rows * sh.cols))),
        ([{ rows, cols }, x]) => {
          const got = new Float32Array(x.length);
          w.transpose(x, rows, cols, got);
          const want = new Float32Array(x.length);
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c * rows + r] = x[r * cols + c]!;
          expect(bits(got)).toEqual(bits(want));
        },
      ),
      { seed: 35, numRuns: 60 },
    );
  });
  it('grows its memory for a large call and keeps working for small ones after', () => {
    const n = 300_000;
    const a = Float32Array.from({ length: n }, (_, i) => i);
    const got = new Float32Array(n);
    w.binary('mul', a, 2, got);
    expect(got[n - 1]).toBe(2 * (n - 1));
    const small = new Float32Array(5);
    w.binary('add', new Float32Array([1, 2, 3, 4, 5]), 1, small);
    expect(Array.from(small)).toEqual([2, 3, 4, 5, 6]);
  });
});
