/**
 * `tpusim layers`: a preset's table, a SCALE-Sim topology on several arrays with --out
 * (SCALE-Sim's three reports per array, topology.csv, sweep.svg), --config in place of
 * --array, --json, and refusals that name the argument (exit 2, nothing written).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCaptured } from './run-captured.ts';

const dir = mkdtempSync(join(tmpdir(), 'tpusim-layers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ALEXNET_PART = 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nConv1, 224, 224, 11, 11, 3, 96, 4,\nConv2, 27, 27, 5, 5, 96, 256, 1,\n';

describe('tpusim layers', () => {
  it("a preset by name: one row per Conv2D/Dense layer with the 3 x 3 x 24 -> 30 conv's low mapping efficiency, then totals", async () => {
    const { code, stdout: out } = await runCaptured(['layers', 'squeeze-fast', '--image-size', '96']);
    expect(code).toBe(0);
    expect(out).toMatch(/^squeeze-fast at 96 px/);
    const rows = out.split('\n').filter((l) => /^conv2d/.test(l));
    expect(rows).toHaveLength(8);
    const k216 = rows.find((l) => /x 216 x 30 /.test(l));
    expect(k216).toBeDefined();
    expect(out).toMatch(/\ntotal +\d+/);
    expect(out).toMatch(/back to back \(SCALE-Sim, --no-overlap\): \d+ cycles; weight double-buffering saves \d+ cycles/);
  });

  it('a topology on three arrays with --out: SCALE-Sim reports per array, the table and the chart; --no-overlap matches its cycle totals', async () => {
    const csv = join(dir, 'alexnet_part.csv');
    writeFileSync(csv, ALEXNET_PART);
    const outDir = join(dir, 'sweep');
    const { code, stdout: out } = await runCaptured(['layers', csv, '--array', '32x32,128x128,256x256', '--no-overlap', '--out', outDir]);
    expect(code).toBe(0);
    expect(out).toMatch(/\narray +cycles/);
    expect(readdirSync(outDir).sort()).toEqual(['sweep.svg', 'topology.csv', 'tpusim_128x128_ws_no_overlap', 'tpusim_256x256_ws_no_overlap', 'tpusim_32x32_ws_no_overlap']);
    const compute = readFileSync(join(outDir, 'tpusim_32x32_ws_no_overlap', 'COMPUTE_REPORT.csv'), 'utf8').split('\n');
    expect(compute[0]).toMatch(/^LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,/);
    expect(compute[1]).toMatch(/^0, 112283, 0, /); // SCALE-Sim v2's golden run of this layer on 32 x 32
    for (const file of ['BANDWIDTH_REPORT.csv', 'DETAILED_ACCESS_REPORT.csv']) expect(existsSync(join(outDir, 'tpusim_128x128_ws_no_overlap', file))).toBe(true);
    expect(readFileSync(join(outDir, 'sweep.svg'), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(readFileSync(join(outDir, 'topology.csv'), 'utf8')).toContain('Conv2, 27, 27, 5, 5, 96, 256, 1,');
  });

  it('--config takes the array from a SCALE-Sim .cfg; --json prints the same numbers as JSON', async () => {
    const cfg = join(dir, 'small.cfg');
    writeFileSync(cfg, '[general]\nrun_name = small_ws\n\n[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 32\nDataflow: ws\n');
    const csv = join(dir, 'alexnet_part.csv');
    writeFileSync(csv, ALEXNET_PART);
    const { code, stdout: out } = await runCaptured(['layers', csv, '--config', cfg, '--no-overlap', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as { config: { runName: string; rows: number }; points: { run: { rows: number; cols: number; layers: { mxu: { cycles: number } }[] } }[] };
    expect(report.config.runName).toBe('small_ws');
    expect(report.points).toHaveLength(1);
    expect([report.points[0]!.run.rows, report.points[0]!.run.cols]).toEqual([32, 32]);
    expect(report.points[0]!.run.layers[0]!.mxu.cycles).toBe(112283);
  });

  it.each([
    [['layers', 'no-such-thing.csv'], /'no-such-thing.csv' is neither a topology file nor a model preset/],
    [['layers', 'squeeze-fast', '--array', '128by128'], /--array/],
    [['layers', 'squeeze-fast', '--array', '128x128', '--config', 'x.cfg'], /--array or --config, not both/],
    [['layers', 'squeeze-fast', '--image-size', '0'], /--image-size/],
  ])('refuses %j with one line naming the argument', async (args, message) => {
    const { code, stdout: out, stderr: err } = await runCaptured(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('a malformed topology names the file and the line', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, `${ALEXNET_PART}Conv3, 13, 13, three, 3, 256, 384, 1,\n`);
    const { code, stderr: err } = await runCaptured(['layers', csv]);
    expect(code).toBe(2);
    expect(err).toContain('bad.csv');
    expect(err).toMatch(/line 4/);
  });
});
