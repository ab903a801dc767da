/** The sweep chart: one pair of bars and one utilisation point per array, escaped text, deterministic bytes. */
import { describe, expect, it } from 'vitest';
import { escapeXml, niceCeil, shortCount, sweepChart } from '../../src/sweep/chart.ts';
import { parseArrays, sweep } from '../../src/sweep/sweep.ts';
import type { LayerSpec } from '../../src/sweep/topology.ts';

const layers: LayerSpec[] = [{ name: 'c', ifmapHeight: 50, ifmapWidth: 50, filterHeight: 3, filterWidth: 3, channels: 24, filters: 30, strideHeight: 1, strideWidth: 1 }];

describe('sweepChart', () => {
  it('draws two bars and a point per array, with the axes and a legend', () => {
    const points = sweep(layers, parseArrays('32x32,128x128,256x256'), { overlap: true });
    const svg = sweepChart(points, 'net <&> "x"');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(6);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    for (const label of ['32x32', '128x128', '256x256', 'total cycles', 'utilisation', '100%']) expect(svg).toContain(label);
    expect(svg).toContain('net &lt;&amp;&gt; &quot;x&quot;');
    expect(svg).not.toContain('<&>');
    // each bar's title holds the cycles it draws
    expect(svg).toContain(`128x128: ${points[1]!.run.totals.cycles} cycles overlapped`);
    expect(svg).toContain(`128x128: ${points[1]!.other.cycles} cycles back to back`);
    expect(sweepChart(points, 'net <&> "x"')).toBe(svg);
    // tags balance: every opened element is closed or self-closed
    const opened = (svg.match(/<(svg|text|rect|circle|title|line|polyline)\b[^>]*>/g) ?? []).filter((t) => !t.endsWith('/>')).length;
    expect((svg.match(/<\/(svg|text|rect|circle|title|line|polyline)>/g) ?? []).length).toBe(opened);
  });

  it('axis helpers', () => {
    expect([niceCeil(112566), niceCeil(24120), niceCeil(1), niceCeil(0)]).toEqual([150000, 25000, 1, 1]);
    expect([shortCount(950), shortCount(12500), shortCount(3.2e6)]).toEqual(['950', '12.5k', '3.2M']);
    expect(escapeXml(`a'b`)).toBe('a&apos;b');
  });
});
