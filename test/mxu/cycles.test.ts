/**
 * The closed-form cycle count and counters against the stepped array, SCALE-Sim's
 * weight-stationary total in no-overlap mode, and the per-matmul report.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SteppedMxu, runStepped } from '../../src/mxu/stepped.ts';
import { mxuConfig, type MatmulShape, type MxuConfig, type Precision } from '../../src/mxu/config.ts';
import { mxuCounters, mxuCycles, tileSchedule } from '../../src/mxu/cycles.ts';
import { SCALESIM_FIELDS, formatReport, mxuReport, reportFromCounters } from '../../src/mxu/report.ts';

/** Counters do not depend on values: zeros keep the stepped runs cheap. */
function stepped(shape: MatmulShape, config: MxuConfig, precision: Precision = 'default') {
  return runStepped(new Float32Array(shape.m * shape.k), new Float32Array(shape.k * shape.n), shape, { config, precision });
}

const size = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }));
const dim = fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 30 }));
const run = fc.record({
  rows: size,
  cols: size,
  m: dim,
  k: dim,
  n: dim,
  overlap: fc.boolean(),
  precision: fc.constantFrom<Precision>('default', 'high', 'highest'),
});

/** SCALE-Sim v2, weight stationary: per fold R cycles of weight fill, then R + C + T - 2. */
function scaleSimTotal(shape: MatmulShape, R: number, C: number): number {
  const rowFolds = Math.ceil(shape.k / R);
  const colFolds = Math.ceil(shape.n / C);
  return rowFolds * colFolds * (2 * R + C + shape.m - 2) - 1;
}

describe('closed form == stepped', () => {
  it('cycles and every counter, for random shapes, array sizes, precisions and overlap', () => {
    fc.assert(
      fc.property(run, (r) => {
        const config = mxuConfig({ rows: r.rows, cols: r.cols, overlap: r.overlap });
        const shape = { m: r.m, k: r.k, n: r.n };
        const got = stepped(shape, config, r.precision);
        expect(got.cycles).toBe(mxuCycles(shape, config, r.precision));
        expect(got.counters).toEqual(mxuCounters(shape, config, r.precision));
      }),
      { seed: 2024, numRuns: 200 },
    );
  });

  it('tiny and lopsided arrays: 1x1, 1xN, Nx1, 4x4, 3x5', () => {
    for (const [rows, cols] of [[1, 1], [1, 7], [6, 1], [4, 4], [3, 5], [5, 3]] as const) {
      for (const overlap of [true, false]) {
        for (const shape of [{ m: 1, k: 1, n: 1 }, { m: 5, k: 4, n: 4 }, { m: 2, k: 11, n: 9 }, { m: 13, k: 3, n: 17 }]) {
          const config = mxuConfig({ rows, cols, overlap });
          expect(stepped(shape, config).counters).toEqual(mxuCounters(shape, config));
        }
      }
    }
  });

  it('tile load and stream starts observed in the stepped run follow tileSchedule', () => {
    for (const overlap of [true, false]) {
      for (const m of [1, 3, 12]) {
        const config = mxuConfig({ rows: 3, cols: 4, overlap });
        const shape = { m, k: 7, n: 9 };
        const mxu = new SteppedMxu(new Float32Array(m * 7), new Float32Array(63), shape, { config });
        const loads: number[] = [];
        const streams: number[] = [];
        while (!mxu.done) {
          mxu.step();
          const e = mxu.events;
          if (e.loadRow?.row === 0) loads.push(e.cycle);
          if (e.streamStart !== null) streams.push(e.cycle);
        }
        const expected = loads.map((_, f) => tileSchedule(f, m, config));
        expect(loads).toEqual(expected.map((s) => s.loadStart));
        expect(streams).toEqual(expected.map((s) => s.streamStart));
        expect(mxu.counters().cycles).toBe(expected[expected.length - 1]!.drain);
      }
    }
  });
});

describe("SCALE-Sim's weight-stationary total with overlap off", () => {
  it('row_folds * col_folds * (2R + C + T - 2) - 1, closed form and stepped', () => {
    fc.assert(
      fc.property(run, (r) => {
        const config = mxuConfig({ rows: r.rows, cols: r.cols, overlap: false });
        const shape = { m: r.m, k: r.k, n: r.n };
        expect(mxuCycles(shape, config)).toBe(scaleSimTotal(shape, r.rows, r.cols));
        expect(stepped(shape, config).cycles).toBe(scaleSimTotal(shape, r.rows, r.cols));
      }),
      { seed: 99, numRuns: 100 },
    );
  });

  it('stepped at TPU size (128 x 128), partial tiles at both edges, both overlap settings', () => {
    const shape = { m: 3, k: 130, n: 129 };
    const off = stepped(shape, mxuConfig({ overlap: false }));
    expect(off.cycles).toBe(scaleSimTotal(shape, 128, 128));
    expect(off.cycles).toBe(4 * (256 + 128 + 3 - 2) - 1);
    const on = mxuConfig({ overlap: true });
    expect(stepped(shape, on, 'high').counters).toEqual(mxuCounters(shape, on, 'high'));
  });

  it('at TPU size, for a conv as GEMM (Sr = R*S*C rows, Sc = M, T = E*F)', () => {
    const config = mxuConfig({ overlap: false });
    const shape = { m: 55 * 55, k: 11 * 11 * 3, n: 96 }; // AlexNet conv1 as GEMM
    expect(mxuCycles(shape, config)).toBe(3 * 1 * (256 + 128 + 3025 - 2) - 1);
  });
});

describe('overlap and precision passes', () => {
  it('overlap is never slower, and utilisation never exceeds 100 %', () => {
    fc.assert(
      fc.property(run, (r) => {
        const shape = { m: r.m, k: r.k, n: r.n };
        const on = mxuConfig({ rows: r.rows, cols: r.cols, overlap: true });
        const off = mxuConfig({ rows: r.rows, cols: r.cols, overlap: false });
        expect(mxuCycles(shape, on, r.precision)).toBeLessThanOrEqual(mxuCycles(shape, off, r.precision));
        expect(mxuReport(shape, on, r.precision).overallUtilPercent).toBeLessThanOrEqual(100);
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  it('a long matmul approaches 100 % with overlap (1024^3 on 128 x 128)', () => {
    const report = mxuReport({ m: 1024, k: 1024, n: 1024 }, mxuConfig());
    expect(report.cycles).toBe(128 + 63 * 1024 + 1024 + 128 + 128 - 3);
    expect(report.overallUtilPercent).toBeGreaterThan(99.4);
    expect(mxuReport({ m: 1024, k: 1024, n: 1024 }, mxuConfig({ overlap: false })).overallUtilPercent).toBeLessThan(75);
  });

  it('passes are more tiles in the same stream: their weight loads overlap too', () => {
    const shape = { m: 40, k: 10, n: 7 };
    for (const overlap of [true, false]) {
      const config = mxuConfig({ rows: 4, cols: 3, overlap });
      const tiles = Math.ceil(10 / 4) * Math.ceil(7 / 3);
      const perTile = overlap ? Math.max(40, 4 + 3 - 1) : 2 * 4 + 3 + 40 - 2;
      const base = mxuCycles(shape, config);
      expect(mxuCycles(shape, config, 'high')).toBe(base + 2 * tiles * perTile);
      expect(mxuCycles(shape, config, 'highest')).toBe(base + 5 * tiles * perTile);
      expect(stepped(shape, config, 'highest').cycles).toBe(base + 5 * tiles * perTile);
    }
  });
});

describe('the report', () => {
  it('from stepped counters equals the closed-form report', () => {
    fc.assert(
      fc.property(run, (r) => {
        const config = mxuConfig({ rows: r.rows, cols: r.cols, overlap: r.overlap });
        const shape = { m: r.m, k: r.k, n: r.n };
        const fromStepped = reportFromCounters(shape, config, r.precision, stepped(shape, config, r.precision).counters);
        expect(fromStepped).toEqual(mxuReport(shape, config, r.precision));
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  it("uses SCALE-Sim's definitions on a worked example", () => {
    // 4x4 array, M=5, K=6, N=4: 2 row folds (4 + 2 rows), 1 column fold.
    const r = mxuReport({ m: 5, k: 6, n: 4 }, mxuConfig({ rows: 4, cols: 4, overlap: false, clockHz: 1e6 }));
    expect(r.cycles).toBe(2 * (8 + 4 + 5 - 2) - 1); // 29
    expect(r.macs).toBe(120);
    expect(r.overallUtilPercent).toBeCloseTo((120 * 100) / (29 * 16), 10);
    expect(r.mappingEfficiencyPercent).toBeCloseTo(((16 + 8) / 2 / 16) * 100, 10);
    // SCALE-Sim's per-fold cycles: 2R + 2C + T - 3 = 18
    expect(r.computeUtilPercent).toBeCloseTo(((16 * 5) / (16 * 18) + (8 * 5) / (16 * 18)) * 50, 10);
    expect(r.sramIfmapReads).toBe(30); // each activation once per column fold
    expect(r.sramFilterReads).toBe(24); // each weight once
    expect(r.sramOfmapWrites).toBe(40); // each output once per row fold
    expect(r.weightLoadBytes).toBe(2 * 4 * 4 * 2);
    expect(r.seconds).toBeCloseTo(29e-6, 15);
    const text = formatReport(r);
    for (const [name, key] of Object.entries(SCALESIM_FIELDS)) {
      expect(r).toHaveProperty(key);
      if (!name.startsWith('Avg')) expect(text).toContain(name);
    }
  });
});
