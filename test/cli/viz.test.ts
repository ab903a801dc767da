/**
 * `tpusim viz` and `tpusim compile --simulate --html/--svg` run in-process: the page is
 * written whole and self-contained, the server serves the same page, the timeline shows the
 * same busy cycles as the JSON report, and bad input is one line naming the option.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCaptured } from './run-captured.ts';
import { runViz, type VizOptions } from '../../src/cli/viz.ts';

const dir = mkdtempSync(join(tmpdir(), 'tpusim-viz-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** The JSON the page embeds. */
function embedded(html: string): { systolic: { rows: number; frames: unknown[] }; ring: { cores: number } } {
  const m = /<script type="application\/json" id="viz-data">(.*?)<\/script>/s.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

const DEFAULTS: VizOptions = { rows: '8', cols: '8', m: '8', k: '16', n: '12', seed: '1', cores: '8', overlap: true, port: '0' };

describe('tpusim viz', () => {
  it('--out writes one self-contained index.html with the recordings embedded', async () => {
    const r = await runCaptured(['viz', '--rows', '4', '--cols', '4', '-m', '5', '-k', '6', '-n', '5', '--cores', '4', '--out', join(dir, 'page')]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^wrote .*page\/index\.html \(\d+ KiB, self-contained: open it in a browser\)\n$/);
    const html = readFileSync(join(dir, 'page', 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img|fetch\(|XMLHttpRequest|url\(http/); // nothing fetched
    const data = embedded(html);
    expect(data.systolic.rows).toBe(4);
    expect(data.ring.cores).toBe(4);
    expect(html).toContain('C[5x5] = A[5x6] · B[6x5] on a 4 x 4 weight-stationary systolic array');
  });

  it('serves the same page on 127.0.0.1', async () => {
    const lines: string[] = [];
    const server = await runViz(DEFAULTS, (l) => lines.push(l));
    try {
      expect(lines).toEqual([`serving ${server!.url} (127.0.0.1 only); stop with Ctrl-C`]);
      const html = await (await fetch(server!.url)).text();
      expect(embedded(html).systolic.frames.length).toBe(75);
    } finally {
      await server!.close();
    }
  });

  const bad: [string[], string][] = [
    [['--rows', '0'], "tpusim: --rows must be a positive integer, got '0'"],
    [['--rows', '32', '--cols', '32'], 'tpusim: viz draws arrays of at most 256 PEs; --rows 32 --cols 32 -m 8 -k 16 -n 12 has 1024'],
    [['-m', '9000'], 'tpusim: viz records at most 2000 cycles; --rows 8 --cols 8 -m 9000 -k 16 -n 12 takes 36022: use smaller -m, -k or -n'],
    [['--cores', '40'], 'tpusim: --cores must be an integer in 2..16 for the ring view, got 40'],
    [['--port', '70000'], "tpusim: --port must be in 0..65535 (0 = any free port), got '70000'"],
    [['--seed', 'x'], "tpusim: --seed must be a positive integer, got 'x'"],
  ];
  for (const [args, line] of bad) {
    it(`refuses ${args.join(' ')} in one line`, async () => {
      expect(await runCaptured(['viz', ...args, '--out', join(dir, 'never')])).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
    });
  }

  it('refuses an --out that is a file, before any work', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const r = await runCaptured(['viz', '--out', join(dir, 'a-file')]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `tpusim: --out ${join(dir, 'a-file')}: exists and is a file, not a folder\n` });
  });
});

describe('tpusim compile --simulate --html/--svg', () => {
  it('writes the timeline of the run the report describes: the same busy cycles per unit', async () => {
    const html = join(dir, 'step.html');
    const svg = join(dir, 'step.svg');
    const r = await runCaptured(['compile', 'example-convnet-forward', '--simulate', '--json', '--html', html, '--svg', svg]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { simulated: { totalCycles: number; busyCycles: Record<string, number>; byOp: { owner: string }[] } };
    const page = readFileSync(html, 'utf8');
    for (const [unit, cycles] of Object.entries(report.simulated.busyCycles)) {
      const bars = [...page.matchAll(new RegExp(`data-unit="${unit}" data-op="[^"]*" data-start="\\d+" data-end="\\d+" data-busy="(\\d+)"`, 'g'))];
      expect(bars.reduce((t, m) => t + Number(m[1]), 0), unit).toBe(cycles);
    }
    const ops = new Set([...page.matchAll(/data-op="([^"]*)"/g)].map((m) => m[1]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)))));
    expect(ops).toEqual(new Set(report.simulated.byOp.map((o) => (o.owner === '?' ? '(no HLO op)' : o.owner))));
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="timeline"/);
    expect(page).toContain(`${report.simulated.totalCycles.toLocaleString('en-US')} cycles`);
  });

  it('--html without --simulate, or onto a folder, is refused before compiling', async () => {
    expect(await runCaptured(['compile', 'example-convnet', '--html', join(dir, 'x.html')])).toEqual({ code: 2, stdout: '', stderr: `tpusim: --html ${join(dir, 'x.html')} draws the simulated step: add --simulate\n` });
    const r = await runCaptured(['compile', 'example-convnet', '--simulate', '--svg', dir]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `tpusim: --svg ${dir}: exists and is a folder; outputs are written as new regular files\n` });
  });
});
