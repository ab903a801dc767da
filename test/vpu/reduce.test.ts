import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VPU_CONFIG, REDUCE_IDENTITY, VectorUnit, foldCycles, foldSublanes, opCycles, reduce, type ReduceKind } from '../../src/vpu/index.ts';

const S = 8;
const L = 128;
const shape = fc.record({ rows: fc.integer({ min: 1, max: 40 }), cols: fc.integer({ min: 1, max: 300 }) });
const data = (n: number, seed: number): Float32Array => {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround((s / 2 ** 32 - 0.5) * 2 ** ((s % 24) - 8));
  }
  return out;
};

/** Builds the vreg of tile (rt, ct) of x[R, C], padded with `pad`. */
function tile(x: Float32Array, rows: number, cols: number, rt: number, ct: number, pad: number): Float32Array {
  const v = new Float32Array(S * L).fill(pad);
  for (let s = 0; s < S; s++) {
    for (let l = 0; l < L; l++) {
      const r = rt * S + s;
      const c = ct * L + l;
      if (r < rows && c < cols) v[s * L + l] = x[r * cols + c]!;
    }
  }
  return v;
}

/** The documented order, run on the register-level unit: fold tiles with binary ops, then a rotate tree. */
function registerReduce(kind: ReduceKind, x: Float32Array, rows: number, cols: number, axis: 0 | 1): Float32Array {
  const vpu = new VectorUnit();
  const op = kind === 'sum' ? 'add' : kind;
  const [outer, inner] = axis === 0 ? [Math.ceil(cols / L), Math.ceil(rows / S)] : [Math.ceil(rows / S), Math.ceil(cols / L)];
  const out = new Float32Array(axis === 0 ? cols : rows);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const v = axis === 0 ? tile(x, rows, cols, i, o, REDUCE_IDENTITY[kind]) : tile(x, rows, cols, o, i, REDUCE_IDENTITY[kind]);
      vpu.load(i === 0 ? 0 : 1, v, 0);
      if (i > 0) vpu.binary(op, 0, 0, 1);
    }
    if (axis === 0) {
      vpu.reduceSublanes(kind, 2, 0);
      for (let l = 0; l < L && o * L + l < cols; l++) out[o * L + l] = vpu.reg(2)[l]!;
    } else {
      vpu.reduceLanes(kind, 2, 0);
      for (let s = 0; s < S && o * S + s < rows; s++) out[o * S + s] = vpu.reg(2)[s * L]!;
    }
  }
  return out;
}

describe('reductions follow the documented order (register-level rotate trees give the same bits)', () => {
  for (const axis of [0, 1] as const) {
    for (const kind of ['sum', 'max', 'min'] as const) {
      it(`${kind} over axis ${axis}`, () => {
        fc.assert(
          fc.property(shape, fc.integer(), ({ rows, cols }, seed) => {
            const x = data(rows * cols, seed);
            const got = reduce(kind, x, { rows, cols, axis });
            expect(got.out).toEqual(registerReduce(kind, x, rows, cols, axis));
          }),
          { seed: 21 + axis, numRuns: 25 },
        );
      });
    }
  }
});

describe('reductions against f64 references', () => {
  it('sums are within (n - 1) u sum|x| of the exact sum; max/min exact', () => {
    fc.assert(
      fc.property(shape, fc.integer(), ({ rows, cols }, seed) => {
        const x = data(rows * cols, seed);
        const all = reduce('sum', x, { rows, cols, axis: 'all' }).out[0]!;
        const exact = x.reduce((a, b) => a + b, 0);
        const abs = x.reduce((a, b) => a + Math.abs(b), 0);
        expect(Math.abs(all - exact)).toBeLessThanOrEqual((x.length - 1) * 2 ** -24 * abs * 1.0001);
        expect(reduce('max', x, { rows, cols, axis: 'all' }).out[0]).toBe(Math.max(...x));
        const rowSums = reduce('sum', x, { rows, cols, axis: 1 }).out;
        for (let r = 0; r < rows; r++) {
          const row = x.subarray(r * cols, (r + 1) * cols);
          const e = row.reduce((a, b) => a + b, 0);
          const a = row.reduce((p, b) => p + Math.abs(b), 0);
          expect(Math.abs(rowSums[r]! - e)).toBeLessThanOrEqual((cols - 1) * 2 ** -24 * a * 1.0001);
        }
      }),
      { seed: 23, numRuns: 40 },
    );
  });

  it('cycles: axis 1 (cross-lane) costs more than axis 0 (sublane) for a square array', () => {
    const c = DEFAULT_VPU_CONFIG;
    const x = new Float32Array(256 * 256);
    const a0 = reduce('sum', x, { rows: 256, cols: 256, axis: 0 }).cycles;
    const a1 = reduce('sum', x, { rows: 256, cols: 256, axis: 1 }).cycles;
    expect(a0).toBe(2 * (31 * opCycles('add', c) + opCycles('reduce-sublanes', c)));
    expect(a1).toBe(32 * (1 * opCycles('add', c) + opCycles('reduce-lanes', c)));
    expect(a1).toBeGreaterThan(a0);
  });

  it('rejects a shape that does not match the array', () => {
    expect(() => reduce('sum', new Float32Array(5), { rows: 2, cols: 2, axis: 0 })).toThrow(/5 values, shape \[2, 2\] needs 4/);
  });
});

describe('foldSublanes: an axis-0 reduce in row blocks', () => {
  it('row blocks of a multiple of S folded into the accumulators, then a reduce of them, give the one-instruction bits', () => {
    fc.assert(
      fc.property(fc.record({ rows: fc.integer({ min: 9, max: 200 }), cols: fc.integer({ min: 1, max: 70 }), blocks: fc.integer({ min: 1, max: 5 }), seed: fc.integer() }), ({ rows, cols, blocks, seed }) => {
        const x = data(rows * cols, seed);
        for (const kind of ['sum', 'max', 'min'] as const) {
          const whole = reduce(kind, x, { rows, cols, axis: 0 }).out;
          const rb = Math.max(S, Math.ceil(rows / blocks / S) * S);
          const acc = new Float32Array(S * cols);
          for (let r0 = 0; r0 < rows; r0 += rb) {
            const n = Math.min(rb, rows - r0);
            foldSublanes(kind, x.subarray(r0 * cols, (r0 + n) * cols), { rows: n, cols, out: acc, accumulate: r0 > 0 });
          }
          expect(Array.from(new Uint32Array(reduce(kind, acc, { rows: S, cols, axis: 0 }).out.buffer))).toEqual(Array.from(new Uint32Array(whole.buffer)));
        }
      }),
      { seed: 61, numRuns: 80 },
    );
  });

  it('cost one combine per row tile and column tile (the first tile a copy unless it continues)', () => {
    expect(foldCycles('sum', { rows: 64, cols: 130 })).toBe(2 * 7 * opCycles('add', DEFAULT_VPU_CONFIG));
    expect(foldCycles('sum', { rows: 64, cols: 130, accumulate: true })).toBe(2 * 8 * opCycles('add', DEFAULT_VPU_CONFIG));
  });
});
