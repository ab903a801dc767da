/**
 * The fast whole-array paths against the spec functions of src/vpu/ops.ts: f32-mask compare
 * and select (what the TensorCore runs), scalar operands, and results written into a given
 * `out` (reduce, broadcast, transpose) equal to fresh results, bit for bit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BINARY_FNS,
  BINARY_OPS,
  COMPARE_FNS,
  COMPARE_OPS,
  binary,
  broadcastCols,
  broadcastRows,
  compare,
  compareMask,
  reduce,
  select,
  selectMask,
  transpose,
  type ReduceAxis,
  type ReduceKind,
} from '../../src/vpu/index.ts';

/** Values that make comparisons and selects interesting: repeats, signed zeros, infinities, NaN. */
const special = fc.constantFrom(0, -0, 1, -1, 0.5, Infinity, -Infinity, NaN, 3.4e38, 1e-45);
const value = fc.oneof(special, fc.float());
const arrayOf = (n: number) => fc.array(value, { minLength: n, maxLength: n }).map((xs) => Float32Array.from(xs));
const pair = fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(arrayOf(n), arrayOf(n)));
const bits = (x: Float32Array): number[] => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const f32 = Math.fround;

describe('compareMask (f32 mask) equals compare (spec predicate), every op, arrays and scalars', () => {
  for (const op of COMPARE_OPS) {
    it(op, () => {
      fc.assert(
        fc.property(pair, value, ([a, b], s) => {
          const want = (x: Float32Array | number, y: Float32Array | number) => Float32Array.from(compare(op, x, y).out);
          expect(bits(compareMask(op, a, b).out)).toEqual(bits(want(a, b)));
          expect(bits(compareMask(op, a, s).out)).toEqual(bits(want(a, s)));
          expect(bits(compareMask(op, s, b).out)).toEqual(bits(want(s, b)));
          // the spec itself, element by element
          compareMask(op, a, b).out.forEach((m, i) => expect(m).toBe(COMPARE_FNS[op](a[i]!, b[i]!) ? 1 : 0));
          // in place over an operand
          const inPlace = a.slice();
          compareMask(op, inPlace, s, { out: inPlace });
          expect(bits(inPlace)).toEqual(bits(want(a, s)));
        }),
        { seed: 11, numRuns: 60 },
      );
    });
  }
});

describe('selectMask (f32 mask) equals select (Uint8 mask)', () => {
  it('all four array / scalar combinations, and in place', () => {
    fc.assert(
      fc.property(pair, arrayOf(300), value, value, ([a, b], m, s, t) => {
        const mask = m.subarray(0, a.length); // any nonzero, NaN included, counts as set
        const u8 = Uint8Array.from(mask, (v) => (v !== 0 ? 1 : 0));
        for (const [x, y] of [[a, b], [a, s], [s, b]] as const) {
          expect(bits(selectMask(mask, x, y).out)).toEqual(bits(select(u8, x, y).out));
        }
        // two scalars: the mask gives the length (select needs an array operand)
        expect(bits(selectMask(mask, s, t).out)).toEqual(bits(select(u8, new Float32Array(mask.length).fill(s), t).out));
        const inPlace = mask.slice();
        selectMask(inPlace, a, t, { out: inPlace });
        expect(bits(inPlace)).toEqual(bits(select(u8, a, t).out));
      }),
      { seed: 12, numRuns: 100 },
    );
  });
});

describe('binary with a scalar operand equals the spec function per element', () => {
  for (const op of BINARY_OPS) {
    it(op, () => {
      fc.assert(
        fc.property(pair, value, ([a], s) => {
          const right = binary(op, a, s).out;
          const left = binary(op, s, a).out;
          a.forEach((v, i) => {
            expect(Object.is(right[i], BINARY_FNS[op](v, f32(s))) || (Number.isNaN(right[i]) && Number.isNaN(BINARY_FNS[op](v, f32(s))))).toBe(true);
            expect(Object.is(left[i], BINARY_FNS[op](f32(s), v)) || (Number.isNaN(left[i]) && Number.isNaN(BINARY_FNS[op](f32(s), v)))).toBe(true);
          });
          // back to back calls reuse the scalar scratch: the first result must not change
          const first = binary(op, a, s).out.slice();
          binary(op, a, 7);
          expect(bits(binary(op, a, s).out)).toEqual(bits(first));
        }),
        { seed: 13, numRuns: 40 },
      );
    });
  }
});

describe('results written into a given out equal fresh results', () => {
  const shape = fc.record({ rows: fc.integer({ min: 1, max: 40 }), cols: fc.integer({ min: 1, max: 200 }), seed: fc.integer() });
  const data = (n: number, seed: number): Float32Array => {
    let s = seed >>> 0;
    return Float32Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return f32((s / 2 ** 32 - 0.5) * 2 ** ((s % 24) - 8));
    });
  };
  it('reduce (every kind and axis), broadcastRows, broadcastCols, transpose', () => {
    fc.assert(
      fc.property(shape, ({ rows, cols, seed }) => {
        const x = data(rows * cols, seed);
        for (const kind of ['sum', 'max', 'min'] as ReduceKind[]) {
          for (const axis of [0, 1, 'all'] as ReduceAxis[]) {
            const fresh = reduce(kind, x, { rows, cols, axis }).out;
            const out = new Float32Array(fresh.length).fill(NaN);
            expect(reduce(kind, x, { rows, cols, axis, out }).out).toBe(out);
            expect(bits(out)).toEqual(bits(fresh));
          }
        }
        const row = x.subarray(0, cols);
        const into = new Float32Array(rows * cols);
        expect(bits(broadcastRows(row, rows, { out: into }).out)).toEqual(bits(broadcastRows(row, rows).out));
        const col = x.subarray(0, rows);
        expect(bits(broadcastCols(col, cols, { out: into }).out)).toEqual(bits(broadcastCols(col, cols).out));
        const t = new Float32Array(rows * cols);
        expect(bits(transpose(x, { rows, cols, out: t }).out)).toEqual(bits(transpose(x, { rows, cols }).out));
      }),
      { seed: 14, numRuns: 60 },
    );
  });
  it('rejects an out of the wrong size, or the input itself, naming the op', () => {
    const x = new Float32Array(6);
    expect(() => reduce('sum', x, { rows: 2, cols: 3, axis: 0, out: new Float32Array(2) })).toThrow(/vpu reduce: out/);
    expect(() => transpose(x, { rows: 2, cols: 3, out: x })).toThrow(/vpu transpose/);
    expect(() => broadcastRows(x, 2, { out: new Float32Array(5) })).toThrow(/vpu broadcast/);
  });
});
