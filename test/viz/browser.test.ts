/**
 * End to end in headless Chromium: the page `tpusim viz --out` writes, stepped with its own
 * buttons, shows at cycle N exactly the registers the stepped MXU holds after cycle N (here
 * an independent run on the grid of PE objects, mxu/pe.ts); stepping back, playing and
 * hovering agree too; the ring view shows the all-reduce's buffers; the timeline page of
 * `tpusim compile --simulate --html` has bars on the MXU, VPU and DMA lanes whose hover
 * names their HLO op. Screenshots go to <tmpdir>/tpusim-viz-e2e/ (not part of the repo).
 * Skips, saying why, where no Chromium is installed (see ./chromium.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { runViz } from '../../src/cli/viz.ts';
import type { PeState } from '../../src/mxu/array.ts';
import { mxuConfig } from '../../src/mxu/config.ts';
import { SteppedMxu } from '../../src/mxu/stepped.ts';
import { randomOperands } from '../../src/mxu/trace.ts';
import { recordAllReduce } from '../../src/viz/allreduce-record.ts';
import { NO_CHROMIUM, findChromium, launchChromium } from './chromium.ts';

const executable = findChromium();
// said once where every reporter shows it (a skipped test's title is hidden by the default one)
if (executable === null) process.stderr.write(`test/viz/browser.test.ts: browser tests skipped: ${NO_CHROMIUM}\n`);
const SCREENS = join(tmpdir(), 'tpusim-viz-e2e');
const dir = mkdtempSync(join(tmpdir(), 'tpusim-viz-browser-'));
const SHAPE = { m: 8, k: 16, n: 12 };
const SEED = 5;

/** What the page shows in a PE's spans (w, s, a, p) for these registers (integer operands: values print whole). */
function shown(pe: PeState): string[] {
  const v = (x: number): string => (Number.isInteger(x) ? String(x) : `not an integer: ${x}`);
  const bubble = pe.actTile < 0;
  return [
    pe.weightTile < 0 ? '·' : v(pe.weight),
    pe.shadowTile > pe.weightTile ? v(pe.shadow) : '',
    bubble ? '·' : v(pe.act),
    bubble ? '·' : v(pe.psum),
  ];
}

/** The PE grid's registers at the end of cycle `cycle`, as the page should show them. */
function simulatorAt(cycle: number): string[][] {
  const { a, b } = randomOperands(SHAPE, SEED);
  const grid = new SteppedMxu(a, b, SHAPE, { config: mxuConfig({ rows: 8, cols: 8 }), arrayModel: 'pe' });
  for (let t = 0; t <= cycle; t++) grid.step();
  return grid.snapshot().flat().map(shown);
}

/** The cycle the page says it shows, and the text of every PE's spans, row-major. */
async function pageState(page: Page): Promise<{ cycle: number; pes: string[][] }> {
  const pos = (await page.locator('#sys-pos').textContent()) ?? '';
  const cycle = Number(/^cycle (\d+) of \d+$/.exec(pos)?.[1] ?? NaN);
  const pes = await page.$$eval('.pe', (els) =>
    els
      .map((el) => ({ r: Number(el.getAttribute('data-r')), c: Number(el.getAttribute('data-c')), el }))
      .sort((x, y) => x.r - y.r || x.c - y.c)
      .map(({ el }) => ['.w', '.s', '.a', '.p'].map((sel) => el.querySelector(sel)!.textContent ?? '')),
  );
  return { cycle, pes };
}

/** Presses a button `times` times. */
async function press(page: Page, id: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await page.click(`#${id}`);
}

/** Runs the CLI in this process with its output kept out of the test log. */
async function quietCli(args: string[]): Promise<number> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await runCli(args);
  } finally {
    process.stdout.write = write;
  }
}

describe.skipIf(executable === null)(`the pages in headless Chromium${executable === null ? ` (skipped: ${NO_CHROMIUM})` : ''}`, () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    await runViz({ rows: '8', cols: '8', m: String(SHAPE.m), k: String(SHAPE.k), n: String(SHAPE.n), seed: String(SEED), cores: '8', overlap: true, port: '0', out: join(dir, 'viz') }, () => {});
    browser = await launchChromium(executable!);
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${join(dir, 'viz', 'index.html')}`);
    expect(errors).toEqual([]);
  }, 120_000); // starting Chromium takes seconds, more on a loaded 2-core host (vitest's default hook timeout is 10 s)
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stepping N cycles shows the simulator\'s registers at cycle N; back and play agree', async () => {
    expect(await pageState(page)).toEqual({ cycle: 0, pes: simulatorAt(0) });
    await press(page, 'sys-step', 23);
    const at23 = await pageState(page);
    expect(at23.cycle).toBe(23);
    expect(at23.pes).toEqual(simulatorAt(23));
    expect(at23.pes.some(([, , a]) => a !== '·')).toBe(true); // activations are in flight
    await press(page, 'sys-back', 5);
    expect(await pageState(page)).toEqual({ cycle: 18, pes: simulatorAt(18) });
    await page.selectOption('#sys-speed', '32');
    await page.click('#sys-play');
    // (a string: the test's tsconfig has no DOM types) past cycle 24, so it played a few cycles
    await page.waitForFunction("/^cycle (2[5-9]|[3-9]\\d)/.test(document.getElementById('sys-pos').textContent)");
    await page.click('#sys-play'); // pause
    const played = await pageState(page);
    expect(played.pes).toEqual(simulatorAt(played.cycle));
    await page.hover('.pe[data-r="3"][data-c="2"]');
    const psum = simulatorAt(played.cycle)[3 * 8 + 2]![3]!;
    expect(await page.locator('#tip').textContent()).toContain(`PE (3, 2) at the end of cycle ${played.cycle}`);
    if (psum !== '·') expect(await page.locator('#tip').textContent()).toContain(`psum    ${psum}`);
    await page.screenshot({ path: join(SCREENS, 'systolic.png'), fullPage: true });
  });

  it('the ring view shows the all-reduce\'s buffers step by step', async () => {
    await page.click('#tab-ring');
    const table = (): Promise<number[][]> =>
      page.$$eval('#ring-table tr', (rows) => rows.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
    expect(await table()).toEqual(Array.from({ length: 8 }, (_, i) => new Array(8).fill(2 ** i)));
    await press(page, 'ring-step', 7);
    const rec = recordAllReduce(8);
    const scattered = await table();
    expect(scattered).toEqual(rec.frames[6]!.buffers);
    for (let p = 0; p < 8; p++) expect(scattered[p]![(p + 1) % 8]).toBe(255); // core p owns finished chunk p + 1
    expect(await page.locator('#ring-events').textContent()).toMatch(/^reduce-scatter step 7 of 7/);
    await page.screenshot({ path: join(SCREENS, 'ring-after-reduce-scatter.png'), fullPage: true });
    await press(page, 'ring-step', 7);
    expect(await table()).toEqual(Array.from({ length: 8 }, () => new Array(8).fill(255)));
  });

  it('the timeline page: bars on the MXU, VPU and DMA lanes; hovering one names its HLO op', async () => {
    const html = join(dir, 'step.html');
    expect(await quietCli(['compile', 'example-convnet', '--simulate', '--html', html])).toBe(0);
    await page.goto(`file://${html}`);
    for (const unit of ['mxu', 'vpu', 'dma']) expect(await page.locator(`rect.bar[data-unit="${unit}"]`).count(), unit).toBeGreaterThan(0);
    const widest = await page.$$eval('rect.bar[data-unit="mxu"]', (bars) => {
      const b = bars.reduce((x, y) => (Number(y.getAttribute('width')) > Number(x.getAttribute('width')) ? y : x));
      return b.getAttribute('data-op')!;
    });
    const bar = page.locator(`rect.bar[data-unit="mxu"][data-op="${widest}"]`).first();
    const box = (await bar.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = (await page.locator('#tip').textContent()) ?? '';
    expect(tip.split('\n')[0]).toBe(widest);
    expect(widest).toMatch(/^%\d+ [a-z-]+ /); // an HLO instruction: %id opcode name
    expect(tip).toMatch(/\nMXU: matmul/);
    expect(readFileSync(html, 'utf8')).toContain(widest);
    await page.screenshot({ path: join(SCREENS, 'timeline-example-convnet.png'), fullPage: true });
  });
});
