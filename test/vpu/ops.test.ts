import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BINARY_OPS,
  DEFAULT_VPU_CONFIG,
  UNARY_OPS,
  VectorUnit,
  VpuShapeError,
  arrayCycles,
  binary,
  broadcastCols,
  broadcastRows,
  compare,
  fromBf16,
  opCycles,
  select,
  toBf16,
  transpose,
  transposeCycles,
  unary,
  type BinaryOp,
} from '../../src/vpu/index.ts';
import { ulpError } from './f32-oracle.ts';

const VREG = 1024;
const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e6), max: Math.fround(1e6) });
const array = (max = 3000) => fc.array(f32, { minLength: 1, maxLength: max }).map((xs) => Float32Array.from(xs));

/** f64 references: exact real results, rounded once to f32 at most 0.5 ulp away. */
const BINARY_REF: { [K in BinaryOp]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: Math.max,
  min: Math.min,
};

describe('VPU binary ops: IEEE f32 (<= 0.5 ulp from the f64 result)', () => {
  for (const op of BINARY_OPS) {
    it(op, () => {
      fc.assert(
        fc.property(f32, f32, (a, b) => {
          const want = BINARY_REF[op](a, b);
          // stay in the f32 normal range, where 0.5 ulp is the IEEE bound (overflow is tested elsewhere)
          fc.pre(want === 0 || (Math.abs(want) > 2 ** -126 && Math.abs(want) < 3e38));
          const got = binary(op, new Float32Array([a]), new Float32Array([b])).out[0]!;
          expect(ulpError(got, want)).toBeLessThanOrEqual(0.5);
        }),
        { seed: 7, numRuns: 500 },
      );
    });
  }
  it('max/min propagate NaN; compare with NaN is false except ne', () => {
    const nan = new Float32Array([NaN]);
    const one = new Float32Array([1]);
    expect(binary('max', nan, one).out[0]).toBeNaN();
    expect(binary('min', one, nan).out[0]).toBeNaN();
    expect(compare('lt', nan, one).out[0]).toBe(0);
    expect(compare('ne', nan, one).out[0]).toBe(1);
  });
});

describe('array ops equal the register-level unit tile by tile (any length, tail padded)', () => {
  it('unary and binary ops, bits and cycles', () => {
    fc.assert(
      fc.property(array(), fc.constantFrom(...UNARY_OPS), fc.constantFrom(...BINARY_OPS), (x, uop, bop) => {
        const y = x.map((v) => v * 0.75 + 1);
        const u = unary(uop, x);
        const b = binary(bop, x, y);
        const vpu = new VectorUnit();
        const outU = new Float32Array(x.length);
        const outB = new Float32Array(x.length);
        for (let off = 0; off < x.length; off += VREG) {
          vpu.load(0, x, off, 1);
          vpu.load(1, y, off, 1);
          vpu.unary(uop, 2, 0);
          vpu.binary(bop, 3, 0, 1);
          vpu.store(2, outU, off);
          vpu.store(3, outB, off);
        }
        expect(u.out).toEqual(outU);
        expect(b.out).toEqual(outB);
        const vregs = Math.ceil(x.length / VREG);
        expect(u.cycles).toBe(vregs * opCycles(uop, DEFAULT_VPU_CONFIG));
        expect(u.cycles + b.cycles).toBe(vpu.cycles);
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  it('writes into `out` when given, also in place', () => {
    const x = new Float32Array([1, 4, 9]);
    const r = unary('sqrt', x, { out: x });
    expect(r.out).toBe(x);
    expect(Array.from(x)).toEqual([1, 2, 3]);
    binary('mul', x, x, { out: x });
    expect(Array.from(x)).toEqual([1, 4, 9]);
    expect(() => binary('add', x, 1, { out: new Float32Array(2) })).toThrow(/vpu add: out has 2 values, operands have 3/);
  });

  it('compare + select (relu) and scalars', () => {
    fc.assert(
      fc.property(array(), (x) => {
        const relu = select(compare('gt', x, 0).out, x, 0).out;
        expect(Array.from(relu)).toEqual(Array.from(x, (v) => (v > 0 ? v : 0)));
        const half = binary('mul', x, 0.5).out;
        expect(Array.from(half)).toEqual(Array.from(x, (v) => Math.fround(v * 0.5)));
      }),
      { seed: 12, numRuns: 50 },
    );
  });
});

describe('bf16 conversion and broadcast', () => {
  it('to bf16 and back equals round-bf16', () => {
    fc.assert(
      fc.property(array(), (x) => {
        const back = fromBf16(toBf16(x).out).out;
        expect(back).toEqual(unary('round-bf16', x).out);
        for (let i = 0; i < x.length; i++) {
          // subnormals flush to zero (the default setting); everything else is within half a bf16 ulp
          const bound = Math.abs(x[i]!) < 2 ** -126 ? Math.abs(x[i]!) : Math.abs(x[i]!) * 2 ** -8;
          expect(Math.abs(back[i]! - x[i]!)).toBeLessThanOrEqual(bound);
        }
      }),
      { seed: 13, numRuns: 50 },
    );
  });
  it('broadcastRows repeats a row', () => {
    const r = broadcastRows(new Float32Array([1, 2, 3]), 9);
    expect(r.out.length).toBe(27);
    expect(Array.from(r.out.subarray(24))).toEqual([1, 2, 3]);
    expect(r.cycles).toBe(2); // 9 rows = 2 sublane tiles, 3 columns = 1 lane tile
  });
});

describe('transpose and column broadcast', () => {
  it('transpose twice is the identity; element (r, c) lands at (c, r)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 300 }), (rows, cols) => {
        const x = Float32Array.from({ length: rows * cols }, (_, i) => i);
        const t = transpose(x, { rows, cols });
        expect(t.out[(cols - 1) * rows + (rows - 1)]).toBe(rows * cols - 1);
        expect(t.out[rows > 1 ? 1 : 0]).toBe(rows > 1 ? cols : 0);
        expect(transpose(t.out, { rows: cols, cols: rows }).out).toEqual(x);
        expect(t.cycles).toBe(transposeCycles(rows, cols));
      }),
      { seed: 15, numRuns: 50 },
    );
  });
  it('broadcastCols repeats each value along its row', () => {
    expect(Array.from(broadcastCols(new Float32Array([1, 2]), 3).out)).toEqual([1, 1, 1, 2, 2, 2]);
  });
});

describe('cost model', () => {
  const c = DEFAULT_VPU_CONFIG;
  it('a transcendental costs more than an add; a cross-lane reduction more than a sublane one', () => {
    for (const t of ['exp', 'log', 'tanh', 'rsqrt', 'sqrt', 'div'] as const) expect(opCycles(t, c)).toBeGreaterThan(opCycles('add', c));
    expect(opCycles('reduce-lanes', c)).toBeGreaterThan(opCycles('reduce-sublanes', c));
    expect(opCycles('reduce-sublanes', c)).toBe(6); // 3 steps x (rotate + add)
    expect(opCycles('reduce-lanes', c)).toBe(63); // 7 steps x (XLU rotate 8 + add 1)
  });
  it('array cycles = vregs touched x per-op cost', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e7 }), fc.constantFrom(...UNARY_OPS, ...BINARY_OPS), (n, op) => {
        expect(arrayCycles(op, n)).toBe(Math.ceil(n / 1024) * opCycles(op, c));
      }),
      { seed: 14, numRuns: 200 },
    );
  });
});

describe('errors', () => {
  it('names the op and both lengths', () => {
    expect(() => binary('add', new Float32Array(3), new Float32Array(4))).toThrow(VpuShapeError);
    expect(() => binary('add', new Float32Array(3), new Float32Array(4))).toThrow(/vpu add: operand lengths differ \(3 vs 4\)/);
    expect(() => new VectorUnit().reg(32)).toThrow(/no vector register v32/);
  });
});
