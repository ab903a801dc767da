/**
 * The stepped MXU against the numerics spec (reference.ts) bit for bit, the flat array
 * against the grid of PE objects register for register, and a 2 x 2 array stepped by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PE, PeGrid } from '../../src/mxu/pe.ts';
import { SystolicArray, WeightHazardError, type PeState, type SystolicArrayUnit } from '../../src/mxu/array.ts';
import { SteppedMxu, runStepped, type ArrayModel } from '../../src/mxu/stepped.ts';
import { mxuConfig, type Precision } from '../../src/mxu/config.ts';
import { referenceMatmul } from '../../src/mxu/reference.ts';

const bits = (x: Float32Array): number[] => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/** f32 values with plenty of specials: NaN, +-Inf, -0, subnormals, huge, and small integers. */
const value = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -8, max: 8 }) },
  { weight: 3, arbitrary: fc.float() },
  {
    weight: 2,
    arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e-40, -3e-39, 1.4e-45, 3e38, -3.3e38, 1e20, 65504, 1 / 3),
  },
);

const matmulCase = fc
  .record({
    rows: fc.integer({ min: 1, max: 8 }),
    cols: fc.integer({ min: 1, max: 8 }),
    m: fc.integer({ min: 1, max: 20 }),
    k: fc.integer({ min: 1, max: 20 }),
    n: fc.integer({ min: 1, max: 20 }),
    overlap: fc.boolean(),
    precision: fc.constantFrom<Precision>('default', 'high', 'highest'),
    subnormals: fc.constantFrom<'flush' | 'keep'>('flush', 'keep'),
    seed: fc.integer(),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      a: fc.array(value, { minLength: c.m * c.k, maxLength: c.m * c.k }),
      b: fc.array(value, { minLength: c.k * c.n, maxLength: c.k * c.n }),
    }),
  );

describe('a 2 x 2 array stepped by hand', () => {
  // W = [[1, 2], [3, 4]] (row r = k, column c = n); A = [[5, 6], [7, 8]] (rows m).
  // Load: cycle 0 writes shadow row 0, cycle 1 row 1. Stream starts at cycle 2:
  // row 0 gets a[m, 0] at cycle 2 + m, row 1 gets a[m, 1] at cycle 3 + m (skew).
  const feed: Record<number, [number, number, number, number]> = {
    // cycle: [act row 0, tile row 0, act row 1, tile row 1]
    2: [5, 0, 0, -1],
    3: [7, 0, 6, 0],
    4: [0, -1, 8, 0],
  };
  const cell = (s: PeState[][], r: number, c: number) => s[r]![c]!;

  function run(array: SystolicArrayUnit): PeState[][][] {
    const frames: PeState[][][] = [];
    for (let t = 0; t < 6; t++) {
      const [a0, t0, a1, t1] = feed[t] ?? [0, -1, 0, -1];
      array.inAct.set([a0, a1]);
      array.inTile.set([t0, t1]);
      if (t < 2) array.inWeightRow = { row: t, tile: 0, weights: new Float32Array(t === 0 ? [1, 2] : [3, 4]) };
      array.step();
      frames.push(array.snapshot());
      if (t === 4) expect(Array.from(array.outPsum)).toEqual([31, 34]); // c[1,0], c[0,1] leave together
      if (t === 5) expect(array.outPsum[1]).toBe(46); // c[1,1]
    }
    return frames;
  }

  for (const [label, make] of [
    ['flat wasm', () => new SystolicArray(2, 2, 'wasm')],
    ['flat js', () => new SystolicArray(2, 2, 'js')],
    ['PE grid', () => new PeGrid(2, 2)],
  ] as const) {
    it(`${label}: registers at cycles 1..5 match the hand-worked values`, () => {
      const f = run(make());
      // End of cycle 1: both shadow rows loaded, nothing active yet.
      expect(cell(f[1]!, 0, 1)).toMatchObject({ shadow: 2, shadowTile: 0, weight: 0, weightTile: -1 });
      expect(cell(f[1]!, 1, 0)).toMatchObject({ shadow: 3, shadowTile: 0, weight: 0, weightTile: -1 });
      // Cycle 2: a[0,0] = 5 meets w 1 in PE (0,0), which swaps as the wave arrives.
      expect(cell(f[2]!, 0, 0)).toMatchObject({ act: 5, actTile: 0, weight: 1, weightTile: 0, psum: 5 });
      expect(cell(f[2]!, 0, 1)).toMatchObject({ act: 0, actTile: -1, weightTile: -1, psum: 0 });
      // Cycle 3: 5 moved right (5*2 = 10); psum 5 moved down: 5 + 6*3 = 23 = c[0,0].
      expect(cell(f[3]!, 0, 0)).toMatchObject({ act: 7, psum: 7 });
      expect(cell(f[3]!, 0, 1)).toMatchObject({ act: 5, weight: 2, weightTile: 0, psum: 10 });
      expect(cell(f[3]!, 1, 0)).toMatchObject({ act: 6, weight: 3, psum: 23 });
      expect(cell(f[3]!, 1, 1)).toMatchObject({ act: 0, actTile: -1, weightTile: -1, psum: 0 });
      // Cycle 4: c[1,0] = 7 + 8*3 = 31 and c[0,1] = 10 + 6*4 = 34 at the bottom.
      expect(cell(f[4]!, 0, 1)).toMatchObject({ act: 7, psum: 14 });
      expect(cell(f[4]!, 1, 0)).toMatchObject({ act: 8, psum: 31 });
      expect(cell(f[4]!, 1, 1)).toMatchObject({ act: 6, weight: 4, weightTile: 0, psum: 34 });
      expect(cell(f[4]!, 0, 0)).toMatchObject({ act: 0, actTile: -1, psum: 0 });
      // Cycle 5: c[1,1] = 14 + 8*4 = 46.
      expect(cell(f[5]!, 1, 1)).toMatchObject({ act: 8, psum: 46 });
    });
  }

  it('runStepped gives the same product in the documented 5 cycles', () => {
    const config = mxuConfig({ rows: 2, cols: 2 });
    const res = runStepped(new Float32Array([5, 6, 7, 8]), new Float32Array([1, 2, 3, 4]), { m: 2, k: 2, n: 2 }, { config });
    expect(Array.from(res.c)).toEqual([23, 34, 31, 46]);
    expect(res.cycles).toBe(5); // R + T + R + C - 3
  });
});

describe('the flat array equals a grid of PE objects', () => {
  const same = (x: PeState[][], y: PeState[][]): boolean =>
    x.every((row, r) => row.every((s, c) => (Object.keys(s) as (keyof PeState)[]).every((key) => Object.is(s[key], y[r]![c]![key]))));

  it('register for register, every cycle, on random small runs', () => {
    fc.assert(
      fc.property(matmulCase, ({ c, a, b }) => {
        if (c.rows * c.cols > 30 || c.m * c.k * c.n > 1500) return; // the PE grid is slow
        const config = mxuConfig({ rows: c.rows, cols: c.cols, overlap: c.overlap });
        const shape = { m: c.m, k: c.k, n: c.n };
        const models: ArrayModel[] = ['wasm', 'js', 'pe'];
        const mxus = models.map((arrayModel) => new SteppedMxu(new Float32Array(a), new Float32Array(b), shape, { config, arrayModel }));
        const [first, ...rest] = mxus;
        while (!first!.done) {
          for (const u of mxus) u.step();
          for (const u of rest) if (!same(first!.snapshot(), u.snapshot())) throw new Error(`differs at cycle ${first!.cycle}`);
        }
        for (const u of rest) expect(u.done).toBe(true);
      }),
      { seed: 31, numRuns: 120 },
    );
  });
});

describe('the stepped MXU equals the numerics reference bit for bit', () => {
  it('random shapes, arrays, values (NaN, Inf, -0, subnormals, huge), all precisions', () => {
    fc.assert(
      fc.property(matmulCase, ({ c, a, b }) => {
        const config = mxuConfig({ rows: c.rows, cols: c.cols, overlap: c.overlap, subnormals: c.subnormals });
        const shape = { m: c.m, k: c.k, n: c.n };
        const A = new Float32Array(a);
        const B = new Float32Array(b);
        const got = runStepped(A, B, shape, { config, precision: c.precision });
        expect(bits(got.c)).toEqual(bits(referenceMatmul(A, B, shape, { config, precision: c.precision })));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('a 128 x 128 array with partial tiles at both edges (2 x 2 folds, small M)', () => {
    const shape = { m: 3, k: 130, n: 129 };
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
    const a = Float32Array.from({ length: shape.m * shape.k }, rnd);
    const b = Float32Array.from({ length: shape.k * shape.n }, rnd);
    a[5] = NaN;
    b[7] = -0;
    const config = mxuConfig();
    const got = runStepped(a, b, shape, { config });
    expect(bits(got.c)).toEqual(bits(referenceMatmul(a, b, shape, { config })));
    expect(got.counters.weightTiles).toBe(4);
  });

  it('every output NaN is the canonical quiet NaN and no output is -0', () => {
    const config = mxuConfig({ rows: 2, cols: 2 });
    const a = new Float32Array([Infinity, -0, -0, -0]);
    const b = new Float32Array([0, -0, -0, 1]);
    const out = bits(runStepped(a, b, { m: 2, k: 2, n: 2 }, { config }).c);
    expect(out).toEqual([0x7fc00000, 0x7fc00000, 0, 0]); // Inf * 0 = NaN; sums of -0 products come out +0
  });
});

describe('the swap travels with the wave', () => {
  it('mid-run, one row holds two tiles at once: new weights left of the wave front, old right of it', () => {
    const config = mxuConfig({ rows: 3, cols: 4 });
    const shape = { m: 6, k: 3, n: 8 }; // two column folds: tile 1 follows tile 0
    const mxu = new SteppedMxu(new Float32Array(18).fill(1), new Float32Array(24).fill(2), shape, { config });
    let seenSplit = false;
    while (!mxu.done) {
      mxu.step();
      for (const row of mxu.snapshot()) {
        const tiles = row.map((pe) => pe.weightTile);
        if (tiles.includes(0) && tiles.includes(1)) {
          seenSplit = true;
          expect(tiles).toEqual([...tiles].sort().reverse()); // tile 1 on the left, tile 0 on the right
        }
      }
    }
    expect(seenSplit).toBe(true);
  });

  it('wasm and js MAC engines give the same bits and cycles on a 16 x 16 array', () => {
    const shape = { m: 9, k: 37, n: 21 };
    let s = 99;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1e4 - 5e3;
    const a = Float32Array.from({ length: shape.m * shape.k }, rnd);
    const b = Float32Array.from({ length: shape.k * shape.n }, rnd);
    b[3] = Infinity;
    const config = mxuConfig({ rows: 16, cols: 16 });
    const wasm = runStepped(a, b, shape, { config, arrayModel: 'wasm' });
    const js = runStepped(a, b, shape, { config, arrayModel: 'js' });
    expect(bits(wasm.c)).toEqual(bits(js.c));
    expect(wasm.counters).toEqual(js.counters);
  });
});

describe('hazards and bad input', () => {
  it('a PE refuses to lose a shadow weight that was never swapped in', () => {
    const pe = new PE();
    pe.loadShadow(1, 0);
    expect(() => pe.loadShadow(2, 1)).toThrow(WeightHazardError);
  });

  it('the flat array refuses an activation whose weights are not loaded', () => {
    const array = new SystolicArray(1, 2);
    array.inAct[0] = 1;
    array.inTile[0] = 0;
    expect(() => array.step()).toThrow(/tile 0 .* shadow holds tile -1/);
  });

  it('the flat array refuses to overwrite a shadow row before every PE swapped it in', () => {
    const array = new SystolicArray(1, 2);
    array.inWeightRow = { row: 0, tile: 0, weights: new Float32Array([1, 2]) };
    array.step();
    array.inWeightRow = { row: 0, tile: 1, weights: new Float32Array([3, 4]) };
    expect(() => array.step()).toThrow(WeightHazardError);
  });

  it('operands of the wrong length are named', () => {
    const config = mxuConfig({ rows: 2, cols: 2 });
    expect(() => runStepped(new Float32Array(3), new Float32Array(4), { m: 2, k: 2, n: 2 }, { config })).toThrow(/operand a/);
    expect(() => runStepped(new Float32Array(4), new Float32Array(5), { m: 2, k: 2, n: 2 }, { config })).toThrow(/operand b/);
    expect(() => runStepped(new Float32Array(0), new Float32Array(0), { m: 0, k: 2, n: 2 }, { config })).toThrow(/matmul m/);
    expect(() => new SystolicArray(0, 2)).toThrow(/positive integers/);
  });
});
