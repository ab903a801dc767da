/**
 * Cycle traces: golden files for tiny runs, the trace's data, and the `tpusim systolic`
 * command (output and argument checks).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { mxuConfig } from '../../src/mxu/config.ts';
import { mxuCycles } from '../../src/mxu/cycles.ts';
import { randomOperands, traceMatmul } from '../../src/mxu/trace.ts';
import { registerSystolic, systolicOutput, type SystolicOptions } from '../../src/cli/systolic.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { GOLDEN_TRACES, goldenTraceText } from '../golden/systolic-golden.ts';

describe('golden cycle traces (regenerate: npx tsx test/golden/regenerate-systolic.ts)', () => {
  for (const golden of GOLDEN_TRACES) {
    it(golden.file, () => {
      const expected = readFileSync(fileURLToPath(new URL(`../golden/${golden.file}`, import.meta.url)), 'utf8');
      expect(goldenTraceText(golden)).toBe(expected);
    });
  }
});

describe('traceMatmul', () => {
  const shape = { m: 5, k: 4, n: 4 };
  const { a, b } = randomOperands(shape, 3);
  const config = mxuConfig({ rows: 4, cols: 4 });
  const trace = traceMatmul(a, b, shape, { config });

  it('has one frame per cycle and the closed-form count', () => {
    expect(trace.frames.length).toBe(mxuCycles(shape, config) + 1);
    expect(trace.report.cycles).toBe(trace.frames.length - 1);
    expect(trace.matchesReference).toBe(true);
  });

  it('counts exactly M*K*N busy PE-cycles and M*N accumulator writes', () => {
    const busy = trace.frames.reduce((s, f) => s + f.busy.flat().filter(Boolean).length, 0);
    const outputs = trace.frames.reduce((s, f) => s + f.outputs.length, 0);
    expect(busy).toBe(5 * 4 * 4);
    expect(outputs).toBe(5 * 4);
  });

  it('the last accumulator write of each output is the result', () => {
    const last = new Map<string, number>();
    for (const f of trace.frames) for (const o of f.outputs) last.set(`${o.m},${o.n}`, o.value);
    for (let m = 0; m < 5; m++) for (let n = 0; n < 4; n++) expect(last.get(`${m},${n}`)).toBe(trace.c[m * 4 + n]);
  });

  it('seeded operands are small integers and repeatable', () => {
    expect(randomOperands(shape, 3)).toEqual({ a, b });
    expect([...a, ...b].every((x) => Number.isInteger(x) && Math.abs(x) <= 4)).toBe(true);
    expect(randomOperands(shape, 4).a).not.toEqual(a);
  });
});

describe('tpusim systolic', () => {
  const base: SystolicOptions = { rows: '4', cols: '4', m: '5', k: '4', n: '4', seed: '1', precision: 'default', overlap: true };

  it('--trace draws every cycle and a summary', () => {
    const text = systolicOutput({ ...base, trace: true });
    expect(text).toContain('cycle 0   weight load: tile 0 row 0 -> shadow');
    expect(text).toContain(`cycle ${mxuCycles({ m: 5, k: 4, n: 4 }, mxuConfig({ rows: 4, cols: 4 }))} `);
    expect(text).toContain('matches the numerics reference bit for bit: yes');
    expect(text).toContain('Total Cycles');
  });

  it('--trace --json gives the frames as data', () => {
    const data = JSON.parse(systolicOutput({ ...base, trace: true, json: true })) as { frames: unknown[]; c: number[] };
    expect(data.frames.length).toBe(15);
    expect(data.c.length).toBe(20);
  });

  it('without --trace prints the report checked against the closed form', () => {
    const text = systolicOutput({ ...base, overlap: false, precision: 'high' });
    expect(text).toContain('equal to the stepped count');
    expect(text).toContain('matches reference     yes');
    const run = JSON.parse(systolicOutput({ ...base, json: true })) as { report: { cycles: number }; closedFormCycles: number };
    expect(run.report.cycles).toBe(run.closedFormCycles);
  });

  it('names the bad option', () => {
    const bad: [Partial<SystolicOptions>, RegExp][] = [
      [{ rows: '0' }, /--rows/],
      [{ cols: 'x' }, /--cols/],
      [{ m: '-3' }, /-m /],
      [{ k: '1.5' }, /-k /],
      [{ n: '' }, /-n /],
      [{ seed: 'abc' }, /--seed/],
      [{ precision: 'double' }, /--precision/],
      [{ rows: '32', cols: '32', trace: true }, /--trace/],
      [{ m: '5000', trace: true }, /--trace draws at most/],
    ];
    for (const [opts, message] of bad) expect(() => systolicOutput({ ...base, ...opts })).toThrow(message);
    expect(() => systolicOutput({ ...base, rows: '0' })).toThrow(UsageError);
  });

  it('is registered with its options', () => {
    const program = new Command();
    registerSystolic(program);
    const cmd = program.commands.find((c) => c.name() === 'systolic')!;
    const flags = cmd.options.map((o) => o.flags);
    for (const f of ['--rows <R>', '--cols <C>', '-m <M>', '-k <K>', '-n <N>', '--trace', '--json', '--seed <s>', '--no-overlap']) {
      expect(flags).toContain(f);
    }
  });
});
