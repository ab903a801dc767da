/**
 * @module sweep/chart
 * The sweep as an SVG chart: total cycles against array size (bars: weight loads overlapped,
 * and back to back as SCALE-Sim runs them) and utilisation (a line on the right-hand axis).
 * A standalone file with no scripts or external references; text is escaped.
 *
 * Imports ./sweep (types) only. Pure: the same sweep gives the same bytes.
 */
import type { SweepPoint } from './sweep.ts';

const W = 720;
const H = 420;
const M = { left: 84, right: 72, top: 56, bottom: 64 };
const COLORS = { overlap: '#1f6feb', serial: '#9ec5fe', util: '#d9480f', grid: '#d0d7de', text: '#24292f' } as const;

/** Escapes text for SVG. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A round axis top at or above `x`: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return ([1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * p >= x) ?? 10) * p;
}

/** Cycles as short text: 950, 12.5k, 3.2M. */
export function shortCount(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return String(Math.round(n));
}

const f = (x: number): string => x.toFixed(1);
const text = (x: number, y: number, s: string, attrs = ''): string => `<text x="${f(x)}" y="${f(y)}"${attrs}>${escapeXml(s)}</text>`;

/**
 * The chart of a sweep, as SVG text.
 * @example writeFileSync('sweep.svg', sweepChart(sweep(layers, parseArrays('32,128,256'), { overlap: true }), 'squeeze-fast'))
 */
export function sweepChart(points: readonly SweepPoint[], title: string): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const overlapped = (p: SweepPoint) => (p.run.overlap ? p.run.totals.cycles : p.other.cycles);
  const serial = (p: SweepPoint) => (p.run.overlap ? p.other.cycles : p.run.totals.cycles);
  const top = niceCeil(Math.max(1, ...points.map(serial)));
  const y = (c: number) => M.top + plotH - (c / top) * plotH;
  const yUtil = (u: number) => M.top + plotH - (u / 100) * plotH;
  const group = plotW / Math.max(1, points.length);
  const bar = Math.min(48, group / 3);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" fill="${COLORS.text}">`,
    `<title>${escapeXml(title)}: cycles and utilisation against array size</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    text(W / 2, 24, `${title}: cycles and utilisation against array size`, ' text-anchor="middle" font-size="15" font-weight="bold"'),
  ];
  for (let i = 0; i <= 5; i++) {
    const gy = M.top + (plotH * i) / 5;
    out.push(`<line x1="${M.left}" y1="${f(gy)}" x2="${W - M.right}" y2="${f(gy)}" stroke="${COLORS.grid}"/>`);
    out.push(text(M.left - 8, gy + 4, shortCount(top * (1 - i / 5)), ' text-anchor="end"'));
    out.push(text(W - M.right + 8, gy + 4, `${100 - 20 * i}%`, ` fill="${COLORS.util}"`));
  }
  out.push(text(18, M.top + plotH / 2, 'total cycles', ` transform="rotate(-90 18 ${f(M.top + plotH / 2)})" text-anchor="middle"`));
  out.push(text(W - 16, M.top + plotH / 2, 'utilisation', ` transform="rotate(90 ${W - 16} ${f(M.top + plotH / 2)})" text-anchor="middle" fill="${COLORS.util}"`));
  const line: string[] = [];
  points.forEach((p, i) => {
    const cx = M.left + group * (i + 0.5);
    const label = `${p.run.rows}x${p.run.cols}`;
    for (const [k, cycles, color] of [[0, overlapped(p), COLORS.overlap], [1, serial(p), COLORS.serial]] as const) {
      const x = cx - bar + k * bar;
      out.push(`<rect x="${f(x)}" y="${f(y(cycles))}" width="${f(bar - 2)}" height="${f(M.top + plotH - y(cycles))}" fill="${color}"><title>${escapeXml(`${label}: ${cycles} cycles ${k === 0 ? 'overlapped' : 'back to back'}`)}</title></rect>`);
    }
    out.push(text(cx, H - M.bottom + 18, label, ' text-anchor="middle"'));
    line.push(`${f(cx)},${f(yUtil(p.run.totals.utilPercent))}`);
    out.push(`<circle cx="${f(cx)}" cy="${f(yUtil(p.run.totals.utilPercent))}" r="4" fill="${COLORS.util}"><title>${escapeXml(`${label}: ${p.run.totals.utilPercent.toFixed(1)}% utilisation`)}</title></circle>`);
  });
  out.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${COLORS.util}" stroke-width="2"/>`);
  out.push(text(W / 2, H - M.bottom + 40, 'array (rows x columns)', ' text-anchor="middle"'));
  const mode = points[0]?.run.overlap === false ? 'back to back (--no-overlap)' : 'overlapped';
  const legend: [string, string][] = [[COLORS.overlap, 'cycles, weight loads overlapped'], [COLORS.serial, 'cycles, back to back (SCALE-Sim)'], [COLORS.util, `utilisation, ${mode}`]];
  let lx = M.left;
  for (const [color, name] of legend) {
    out.push(`<rect x="${f(lx)}" y="36" width="12" height="12" fill="${color}"/>`, text(lx + 16, 46, name));
    lx += 16 + name.length * 6.5 + 18; // about 6.5 px per character at 12 px
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
