/**
 * The timeline groups the executor's records into bars without re-timing them: consecutive
 * instructions of one unit and one HLO op make one bar, busy spans keep the idle gaps, and
 * the lanes' busy cycles are the profile's. The SVG carries every bar with its op.
 */
import { describe, expect, it } from 'vitest';
import type { InstructionRecord, Unit } from '../../src/tpu/index.ts';
import { buildTimeline } from '../../src/viz/timeline.ts';
import { barText, timelinePage, timelineSvg } from '../../src/viz/timeline-svg.ts';

/** A record of instruction `index` on `unit` from `start` to `end`. */
function rec(index: number, unit: Unit, start: number, end: number, kind: InstructionRecord['kind'] = 'matmul'): InstructionRecord {
  return { index, kind, name: `#${index} ${kind}`, unit, startCycle: start, endCycle: end, cycles: end - start, flops: 0, bytes: unit === 'dma' ? 64 : 0 };
}

const records = [
  rec(0, 'dma', 0, 10, 'dma'),
  rec(1, 'mxu', 10, 30),
  rec(2, 'mxu', 30, 40),
  rec(3, 'dma', 10, 20, 'dma'),
  rec(4, 'mxu', 50, 60), // same op as 1 and 2 after a gap: same bar, two busy spans
  rec(5, 'mxu', 60, 70), // another op
  rec(6, 'vpu', 70, 75, 'vpu-binary'),
];
const owners = ['%1 parameter x', '%2 dot d', '%2 dot d', '?', '%2 dot d', '%3 dot e', '%4 add a'];
const timeline = buildTimeline({ title: 'test', records, owners, totalCycles: 75, clockHz: 700e6, bound: 'compute' });

describe('buildTimeline', () => {
  it('one bar per run of consecutive instructions of one unit and op; busy spans keep gaps', () => {
    const mxu = timeline.lanes.find((l) => l.unit === 'mxu')!;
    expect(mxu.bars.map((b) => [b.op, b.startCycle, b.endCycle, b.instructions, b.busyCycles, b.kinds])).toEqual([
      ['%2 dot d', 10, 60, 3, 40, 'matmul x3'],
      ['%3 dot e', 60, 70, 1, 10, 'matmul'],
    ]);
    expect(mxu.bars[0]!.busy).toEqual([[10, 40], [50, 60]]);
    expect(timeline.lanes.map((l) => l.unit)).toEqual(['mxu', 'vpu', 'dma', 'ici']);
    expect(timeline.lanes.map((l) => l.busyCycles)).toEqual([50, 5, 20, 0]);
    const dma = timeline.lanes.find((l) => l.unit === 'dma')!;
    expect(dma.bars.map((b) => [b.op, b.bytes])).toEqual([['%1 parameter x', 64], ['(no HLO op)', 64]]);
  });

  it('the SVG has a bar per group, each with its op in data-op and its <title>', () => {
    const svg = timelineSvg(timeline);
    const bars = [...svg.matchAll(/<rect class="bar"[^>]*data-op="([^"]*)"[^>]*><title>([^<]*)<\/title>/g)];
    expect(bars.map((m) => m[1])).toEqual(['%2 dot d', '%3 dot e', '%4 add a', '%1 parameter x', '(no HLO op)']);
    for (const m of bars) expect(m[2]!.startsWith(m[1]!)).toBe(true);
    expect(barText(timeline.lanes[0]!.bars[0]!, 700e6)).toBe('%2 dot d\nMXU: matmul x3; cycles 10..60 (0.01 us..0.09 us), busy 40');
    expect(timelinePage(timeline)).toContain(svg.trim());
  });
});
