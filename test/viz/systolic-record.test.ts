/**
 * The recording `tpusim viz` animates is the stepped MXU's state: every frame equals, register
 * for register, an independent run on the grid of PE objects (mxu/pe.ts, not the flat array
 * the recording steps), one step per cycle; the accumulators end as the product; sizes
 * outside VIZ_LIMITS are refused, naming the options, before anything is stepped.
 */
import { describe, expect, it } from 'vitest';
import { mxuConfig, type MatmulShape } from '../../src/mxu/config.ts';
import { SteppedMxu } from '../../src/mxu/stepped.ts';
import { randomOperands } from '../../src/mxu/trace.ts';
import { VIZ_LIMITS, VizError, checkRecordSize, recordSystolic } from '../../src/viz/systolic-record.ts';

const CASES: { rows: number; cols: number; shape: MatmulShape; overlap: boolean }[] = [
  { rows: 8, cols: 8, shape: { m: 8, k: 16, n: 12 }, overlap: true }, // the command's default: 4 tiles, a partial column fold
  { rows: 3, cols: 5, shape: { m: 4, k: 7, n: 6 }, overlap: false }, // partial row and column folds, no double buffering
];

describe('recordSystolic', () => {
  for (const { rows, cols, shape, overlap } of CASES) {
    it(`${rows}x${cols}, m${shape.m} k${shape.k} n${shape.n}, overlap ${overlap}: frame t = the PE grid after t + 1 steps`, () => {
      const rec = recordSystolic({ rows, cols, shape, seed: 3, overlap });
      const { a, b } = randomOperands(shape, 3);
      const grid = new SteppedMxu(a, b, shape, { config: mxuConfig({ rows, cols, overlap }), arrayModel: 'pe' });
      for (const frame of rec.frames) {
        grid.step();
        expect(frame.cycle).toBe(grid.cycle - 1);
        const pes = grid.snapshot().flat();
        const fields = ['act', 'actTile', 'psum', 'weight', 'weightTile', 'shadow', 'shadowTile'] as const;
        for (const f of fields) expect(frame.pe[f], `${f} at cycle ${frame.cycle}`).toEqual(pes.map((p) => p[f]));
      }
      expect(grid.done).toBe(true);
      expect(rec.frames.at(-1)!.acc).toEqual(Array.from(grid.result()));
      expect(rec.c).toEqual(Array.from(grid.result()));
      expect(rec.matchesReference).toBe(true);
    });
  }

  it('accumulators fill in as results leave the bottom, and a PE is busy only inside its tile', () => {
    const rec = recordSystolic({ rows: 4, cols: 4, shape: { m: 3, k: 4, n: 6 }, seed: 1 });
    const written = rec.frames.map((f) => f.acc.filter((v) => v !== null).length);
    expect(written[0]).toBe(0);
    expect(written.at(-1)).toBe(3 * 6);
    for (let t = 1; t < written.length; t++) expect(written[t]).toBeGreaterThanOrEqual(written[t - 1]!);
    // tile 1 covers columns 4..5 of n: its PEs in array columns 2..3 never do a real MAC
    for (const f of rec.frames) {
      for (let r = 0; r < 4; r++) for (const c of [2, 3]) if (f.pe.actTile[r * 4 + c] === 1) expect(f.pe.busy[r * 4 + c]).toBe(0);
    }
    expect(rec.tiles).toEqual([{ k0: 0, kr: 4, n0: 0, nc: 4 }, { k0: 0, kr: 4, n0: 4, nc: 2 }]);
  });

  it('refuses recordings past VIZ_LIMITS before stepping, naming the options', () => {
    const big = (rows: number, cols: number, shape: MatmulShape) => () => checkRecordSize({ rows, cols, shape, seed: 1 });
    expect(big(32, 32, { m: 2, k: 2, n: 2 })).toThrow(new VizError(`viz draws arrays of at most ${VIZ_LIMITS.pes} PEs; --rows 32 --cols 32 -m 2 -k 2 -n 2 has 1024`));
    expect(big(8, 8, { m: 4000, k: 8, n: 8 })).toThrow(/at most 2000 cycles; --rows 8 --cols 8 -m 4000 -k 8 -n 8 takes \d+: use smaller -m, -k or -n/);
    expect(big(16, 16, { m: 100, k: 64, n: 64 })).toThrow(/at most 2000000 values; .* would record \d+/);
    expect(big(8, 8, { m: 8, k: 16, n: 12 })).not.toThrow();
  });
});
