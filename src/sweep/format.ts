/**
 * @module sweep/format
 * The sweep as text: for one array, a row per layer and the total; for several, each layer's
 * cycles and mapping efficiency side by side, then a comparison of the totals. Every view
 * ends with what weight double-buffering gains (or would gain, with --no-overlap).
 *
 * Imports ./sweep and ./layer-report (types) only.
 */
import type { LayerResult } from './layer-report.ts';
import type { SweepPoint } from './sweep.ts';

/** Aligned columns: text left, numbers right. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.]*$/.test(r[i] ?? '')));
  const cell = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  return [head, ...rows].map((r) => r.map(cell).join('  ').trimEnd()).join('\n');
}

const pct = (x: number): string => x.toFixed(1);
const us = (s: number): string => (s * 1e6).toFixed(2);
const int = (n: number): string => String(n);
const arrayName = (p: SweepPoint): string => `${p.run.rows}x${p.run.cols}`;

/** The overlap line of one point: the other mode's total and the gain. */
export function overlapLine(p: SweepPoint): string {
  const serial = p.run.overlap ? p.other.cycles : p.run.totals.cycles;
  const share = serial > 0 ? ((100 * p.overlapGainCycles) / serial).toFixed(1) : '0.0';
  return p.run.overlap
    ? `back to back (SCALE-Sim, --no-overlap): ${serial} cycles; weight double-buffering saves ${p.overlapGainCycles} cycles (${share} %)`
    : `overlapped (double-buffered weights, tpusim's MXU): ${p.other.cycles} cycles; double buffering would save ${p.overlapGainCycles} cycles (${share} %)`;
}

function layerRow(r: LayerResult): string[] {
  const m = r.mxu;
  return [
    r.layer.name,
    `${r.shape.m} x ${r.shape.k} x ${r.shape.n}`,
    `${m.rowFolds}x${m.colFolds}`,
    int(m.cycles),
    pct(m.overallUtilPercent),
    pct(m.mappingEfficiencyPercent),
    int(m.sramIfmapReads + m.sramFilterReads),
    int(m.sramOfmapWrites),
    int(r.hbmBytes),
    r.bound,
    us(r.seconds),
  ];
}

/** One array: a row per layer, the total, and the overlap line. */
export function renderPoint(p: SweepPoint): string {
  const t = p.run.totals;
  const head = ['layer', 'M x K x N', 'folds', 'cycles', 'util %', 'map eff %', 'SRAM reads', 'SRAM writes', 'HBM bytes', 'bound', 'time us'];
  const total = ['total', '', '', int(t.cycles), pct(t.utilPercent), pct(t.mappingEfficiencyPercent), int(t.sramIfmapReads + t.sramFilterReads), int(t.sramOfmapWrites), int(t.hbmBytes), '', us(t.seconds)];
  return [renderTable(head, [...p.run.layers.map(layerRow), total]), overlapLine(p)].join('\n');
}

/** Several arrays: each layer's cycles and mapping efficiency per array, then the totals compared. */
export function renderComparison(points: readonly SweepPoint[]): string {
  const first = points[0]!;
  const head = ['layer', 'M x K x N', ...points.flatMap((p) => [`${arrayName(p)} cycles`, 'map eff %'])];
  const rows = first.run.layers.map((r, i) => [r.layer.name, `${r.shape.m} x ${r.shape.k} x ${r.shape.n}`, ...points.flatMap((p) => [int(p.run.layers[i]!.mxu.cycles), pct(p.run.layers[i]!.mxu.mappingEfficiencyPercent)])]);
  const serialHead = first.run.overlap ? 'back to back' : 'overlapped';
  const totalsHead = ['array', 'cycles', 'util %', 'map eff %', 'time us', serialHead, 'overlap gain %'];
  const totals = points.map((p) => {
    const serial = p.run.overlap ? p.other.cycles : p.run.totals.cycles;
    return [arrayName(p), int(p.run.totals.cycles), pct(p.run.totals.utilPercent), pct(p.run.totals.mappingEfficiencyPercent), us(p.run.totals.seconds), int(p.other.cycles), pct(serial > 0 ? (100 * p.overlapGainCycles) / serial : 0)];
  });
  return [renderTable(head, rows), '', renderTable(totalsHead, totals)].join('\n');
}
