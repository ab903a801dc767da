/**
 * @module viz/timeline-svg
 * Draws a `Timeline` (./timeline.ts): `timelineSvg` as a standalone SVG (hover a bar for its
 * HLO op through the bar's <title>), `timelinePage` as a self-contained HTML page with the
 * same SVG, the per-unit totals and a hover box (./client/timeline.js).
 *
 * Imports ./html, ./timeline only.
 *
 * Every bar is `<rect class="bar" data-unit data-op data-start data-end data-busy>`; the
 * browser test hovers one and reads its op back.
 */
import { escapeHtml, htmlPage } from './html.ts';
import type { Timeline, TimelineBar, TimelineLane } from './timeline.ts';

const LAYOUT = { width: 1200, label: 70, laneHeight: 36, top: 28, gap: 8, axis: 34 } as const;

/** A colour per HLO op (its text hashed), so one op has one colour on every lane. */
function opColor(op: string): string {
  let h = 0;
  for (let i = 0; i < op.length; i++) h = (Math.imul(h, 31) + op.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360}, 60%, 58%)`;
}

/** 1234567 -> `1,234,567`. */
const grouped = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const micro = (cycles: number, clockHz: number): string => `${((cycles / clockHz) * 1e6).toFixed(2)} us`;

/** The hover text of a bar: its op, then unit, kinds, cycles (and microseconds), busy cycles, bytes. */
export function barText(b: TimelineBar, clockHz: number): string {
  const bytes = b.bytes > 0 ? `, ${grouped(b.bytes)} bytes` : '';
  const cycles = `cycles ${grouped(b.startCycle)}..${grouped(b.endCycle)}`;
  const time = `${micro(b.startCycle, clockHz)}..${micro(b.endCycle, clockHz)}`;
  return `${b.op}\n${b.unit.toUpperCase()}: ${b.kinds}; ${cycles} (${time}), busy ${grouped(b.busyCycles)}${bytes}`;
}

/** Round tick spacing: 1, 2 or 5 times a power of ten, about `target` ticks. */
function tickStep(total: number, target: number): number {
  const raw = Math.max(1, total / target);
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw)!;
}

/** A rectangle (attributes in order, numbers to 2 decimals), with optional children. */
function rect(attrs: Record<string, string | number>, children = ''): string {
  const text = Object.entries(attrs)
    .map(([k, v]) => `${k}="${typeof v === 'number' ? v.toFixed(2).replace(/\.?0+$/, '') : v}"`)
    .join(' ');
  return children === '' ? `<rect ${text}/>` : `<rect ${text}>${children}</rect>`;
}

/** One lane: its band, label, and a bar per group (pale extent, solid busy spans on top). */
function laneSvg(lane: TimelineLane, y: number, x: (cycle: number) => number, t: Timeline): string[] {
  const { width, label, laneHeight } = LAYOUT;
  const busy = t.totalCycles > 0 ? `${((100 * lane.busyCycles) / t.totalCycles).toFixed(0)}% busy` : 'idle';
  const out = [
    `<g class="lane" data-unit="${lane.unit}">`,
    rect({ x: label, y, width: width - label - 10, height: laneHeight, fill: '#f4f4f4' }),
    `<text x="4" y="${y + laneHeight / 2 - 2}" font-weight="bold">${lane.unit.toUpperCase()}</text>`,
    `<text x="4" y="${y + laneHeight / 2 + 12}" fill="#666" font-size="10">${lane.bars.length === 0 ? 'idle' : busy}</text>`,
  ];
  const box = { y: y + 3, height: laneHeight - 6 };
  for (const b of lane.bars) {
    const fill = opColor(b.op);
    const data = { 'data-unit': b.unit, 'data-op': escapeHtml(b.op), 'data-start': b.startCycle, 'data-end': b.endCycle, 'data-busy': b.busyCycles };
    const extent = { class: 'bar', x: x(b.startCycle), ...box, width: Math.max(0.6, x(b.endCycle) - x(b.startCycle)), fill, 'fill-opacity': 0.35 };
    out.push(rect({ ...extent, ...data }, `<title>${escapeHtml(barText(b, t.clockHz))}</title>`));
    for (const [s0, s1] of b.busy) out.push(rect({ x: x(s0), ...box, width: Math.max(0.6, x(s1) - x(s0)), fill, 'pointer-events': 'none' }));
  }
  out.push('</g>');
  return out;
}

/** The cycle axis under the lanes. */
function axisSvg(y: number, span: number, x: (cycle: number) => number, clockHz: number): string[] {
  const { width, label } = LAYOUT;
  const out = [`<line x1="${label}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#888"/>`];
  const step = tickStep(span, 10);
  for (let c = 0; c <= span; c += step) {
    const at = x(c).toFixed(2);
    out.push(`<line x1="${at}" y1="${y}" x2="${at}" y2="${y + 5}" stroke="#888"/>`);
    out.push(`<text x="${at}" y="${y + 18}" text-anchor="middle" fill="#555" font-size="10">${grouped(c)}</text>`);
  }
  out.push(`<text x="${width - 10}" y="${y + 31}" text-anchor="end" fill="#555" font-size="10">cycles at ${(clockHz / 1e6).toFixed(0)} MHz</text>`);
  return out;
}

/**
 * The timeline as an SVG document.
 * @example writeFileSync('step.svg', timelineSvg(buildTimeline(input)))
 */
export function timelineSvg(t: Timeline): string {
  const { width, label, laneHeight, top, gap, axis } = LAYOUT;
  const span = Math.max(1, t.totalCycles);
  const x = (cycle: number): number => label + ((width - label - 10) * cycle) / span;
  const height = top + t.lanes.length * (laneHeight + gap) + axis;
  const heading = `${t.title}: ${grouped(t.totalCycles)} cycles = ${micro(t.totalCycles, t.clockHz)} (${t.bound}-bound)`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
      ' font-family="sans-serif" font-size="12">',
    `<text x="${label}" y="16" font-weight="bold">${escapeHtml(heading)}</text>`,
  ];
  t.lanes.forEach((lane, i) => out.push(...laneSvg(lane, top + i * (laneHeight + gap), x, t)));
  out.push(...axisSvg(top + t.lanes.length * (laneHeight + gap), span, x, t.clockHz), '</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * The timeline as a self-contained HTML page: totals per unit, the SVG, a hover box.
 * @example writeFileSync('step.html', timelinePage(buildTimeline(input)))
 */
export function timelinePage(t: Timeline): string {
  const rows = t.lanes
    .map((l) => {
      const share = t.totalCycles > 0 ? ((100 * l.busyCycles) / t.totalCycles).toFixed(1) : '0.0';
      return `<tr><th>${l.unit.toUpperCase()}</th><td>${grouped(l.busyCycles)}</td><td>${share}%</td><td>${l.bars.length}</td></tr>`;
    })
    .join('\n');
  const body = `<h1>Simulated step: ${escapeHtml(t.title)}</h1>
<p class="note">${t.instructions} program instructions on one simulated TensorCore, ${grouped(t.totalCycles)} cycles =
${micro(t.totalCycles, t.clockHz)} (${escapeHtml(t.bound)}-bound). One lane per unit; one bar per group of consecutive
instructions of that unit lowered from one HLO op (one colour per op; solid where the unit is busy, pale where it waits
inside the group). Hover a bar for its HLO op.</p>
<table class="units"><tr><th>unit</th><th>busy cycles</th><th>busy</th><th>bars</th></tr>
${rows}
</table>
<div id="timeline">${timelineSvg(t)}</div>`;
  return htmlPage({ title: `tpusim timeline: ${t.title}`, body, scripts: ['timeline.js'], start: 'startTimelineHover();' });
}
