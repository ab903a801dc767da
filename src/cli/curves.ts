/**
 * @module cli/curves
 * Training curves as one standalone SVG file a person opens in a browser: a loss panel and
 * an accuracy panel side by side, training and validation series in two colours with a
 * legend, axes with ticks and labels (epoch on x, 1-based as Keras prints it), and a title
 * naming the model. Written by hand: no dependency.
 *
 * Imports layers (types only).
 *
 * Invariants:
 * - well-formed XML; every text is escaped; every number written is finite (NaN and
 *   infinite values of the history are skipped, never drawn).
 * - one `<polyline>` per series that has at least one finite value, one point per finite
 *   value, plus a circle per point (so a single epoch still shows).
 * - the accuracy axis is always 0..1; the loss axis starts at 0 unless a loss is negative.
 */
import type { History } from '../layers/index.ts';

/** Options of `trainingCurvesSvg`. */
export interface CurvesOptions {
  /** The model's name, shown in the title. */
  readonly model?: string;
  /** A whole title instead of `training curves: <model>`. */
  readonly title?: string;
  /** Width of the image (px). Default 960. */
  readonly width?: number;
  /** Height of the image (px). Default 400. */
  readonly height?: number;
}

/** The two series colours (a colour-blind-safe pair) and the axis grey. */
export const CURVE_COLOURS = { train: '#1f77b4', validation: '#ff7f0e', axis: '#555', grid: '#e5e5e5' } as const;

/** One line of a panel: (x, y) points, already without non-finite values. */
interface Series {
  readonly name: 'train' | 'validation';
  readonly points: readonly (readonly [number, number])[];
}

interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

const TITLE_HEIGHT = 40;
const MARGIN = { left: 64, right: 20, top: 36, bottom: 48 } as const;

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A coordinate for the SVG: finite by construction (callers map only finite values). */
function coord(x: number): string {
  // NOTE: a NaN here would make the whole file unreadable in some viewers; fail loudly instead.
  if (!Number.isFinite(x)) throw new RangeError(`curves: non-finite coordinate ${x}`);
  return String(Math.round(x * 10) / 10);
}

/** A tick label: few digits, no float noise (0.30000000000000004 -> 0.3). */
function tickLabel(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/**
 * Ticks at 1, 2 or 5 times a power of ten covering [min, max], about `count` of them.
 * @example niceTicks(0, 2.3, 5) // [0, 0.5, 1, 1.5, 2, 2.5]
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return [min];
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t <= max + step * (1 - 1e-9) && ticks.length < 100; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** The finite (epoch, value) pairs of one history series; `epochs` are 0-based. */
function seriesOf(name: Series['name'], epochs: readonly number[], values: readonly number[]): Series | undefined {
  const points: [number, number][] = [];
  values.forEach((v, i) => {
    const e = epochs[i] ?? i;
    if (Number.isFinite(v) && Number.isFinite(e)) points.push([e + 1, v]);
  });
  return points.length > 0 ? { name, points } : undefined;
}

/** The x (epoch) domain and its integer ticks. */
function epochAxis(epochs: readonly number[]): { domain: [number, number]; ticks: number[] } {
  const shown = epochs.filter(Number.isFinite).map((e) => e + 1);
  const lo = shown.length > 0 ? Math.min(...shown) : 1;
  const hi = shown.length > 0 ? Math.max(...shown) : 1;
  const domain: [number, number] = hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
  const ticks = niceTicks(lo, hi, Math.min(10, Math.max(1, hi - lo)))
    .filter((t) => Number.isInteger(t) && t >= domain[0] && t <= domain[1]);
  return { domain, ticks: ticks.length > 0 ? ticks : [lo] };
}

/** The y domain of the loss panel: 0 (or the lowest loss) to just above the highest. */
function lossAxis(series: readonly Series[]): { domain: [number, number]; ticks: number[] } {
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const lo = Math.min(0, ...ys);
  const hi = ys.length > 0 ? Math.max(...ys) : 1;
  const ticks = niceTicks(lo, hi > lo ? hi : lo + 1, 5);
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks };
}

/** One panel: frame, grid, ticks, labels, series and legend. */
function panel(args: { box: Box; title: string; yLabel: string; series: readonly Series[]; x: ReturnType<typeof epochAxis>; y: { domain: [number, number]; ticks: number[] } }): string {
  const { box, x, y } = args;
  const sx = (v: number): number => box.left + ((v - x.domain[0]) / (x.domain[1] - x.domain[0])) * box.width;
  const sy = (v: number): number => box.top + box.height - ((v - y.domain[0]) / (y.domain[1] - y.domain[0] || 1)) * box.height;
  const bottom = box.top + box.height;
  const out: string[] = [`<g class="panel" data-panel="${escapeXml(args.yLabel)}">`];
  out.push(`<text x="${coord(box.left + box.width / 2)}" y="${coord(box.top - 14)}" text-anchor="middle" font-weight="bold">${escapeXml(args.title)}</text>`);
  for (const t of y.ticks) {
    const py = coord(sy(t));
    out.push(`<line x1="${coord(box.left)}" y1="${py}" x2="${coord(box.left + box.width)}" y2="${py}" stroke="${CURVE_COLOURS.grid}"/>`);
    out.push(`<text x="${coord(box.left - 6)}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = coord(sx(t));
    out.push(`<line x1="${px}" y1="${coord(bottom)}" x2="${px}" y2="${coord(bottom + 5)}" stroke="${CURVE_COLOURS.axis}"/>`);
    out.push(`<text x="${px}" y="${coord(bottom + 18)}" text-anchor="middle">${escapeXml(tickLabel(t))}</text>`);
  }
  out.push(`<rect x="${coord(box.left)}" y="${coord(box.top)}" width="${coord(box.width)}" height="${coord(box.height)}" fill="none" stroke="${CURVE_COLOURS.axis}"/>`);
  out.push(`<text x="${coord(box.left + box.width / 2)}" y="${coord(bottom + 38)}" text-anchor="middle">epoch</text>`);
  const cy = coord(box.top + box.height / 2);
  out.push(`<text x="${coord(box.left - 48)}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${coord(box.left - 48)} ${cy})">${escapeXml(args.yLabel)}</text>`);
  for (const s of args.series) {
    const colour = CURVE_COLOURS[s.name];
    const points = s.points.map(([px, py]) => `${coord(sx(px))},${coord(sy(py))}`).join(' ');
    out.push(`<polyline data-series="${args.yLabel} ${s.name}" points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [px, py] of s.points) out.push(`<circle cx="${coord(sx(px))}" cy="${coord(sy(py))}" r="3" fill="${colour}"/>`);
  }
  out.push('</g>');
  return out.join('\n');
}

/** The legend, in the title band at the right (never over a curve): one swatch and name per series drawn. */
function legend(names: readonly Series['name'][], width: number): string {
  const out = ['<g class="legend">'];
  names.forEach((name, i) => {
    const x = width - MARGIN.right - 100 * (names.length - i);
    out.push(`<line x1="${coord(x)}" y1="22" x2="${coord(x + 20)}" y2="22" stroke="${CURVE_COLOURS[name]}" stroke-width="3"/>`);
    out.push(`<text x="${coord(x + 26)}" y="22" dominant-baseline="middle">${name}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/**
 * Training curves of a fit as a standalone SVG document (write it to `curves.svg`).
 * @example
 * writeFileSync('curves.svg', trainingCurvesSvg(history, { model: 'squeeze-fast' }));
 */
export function trainingCurvesSvg(history: History, options: CurvesOptions = {}): string {
  const width = options.width ?? 960;
  const height = options.height ?? 400;
  const title = options.title ?? `training curves${options.model ? `: ${options.model}` : ''}`;
  const h = history.history;
  const present = (list: readonly (Series | undefined)[]): Series[] => list.filter((s): s is Series => s !== undefined);
  const loss = present([seriesOf('train', history.epoch, h.loss), seriesOf('validation', history.epoch, h.val_loss)]);
  const accuracy = present([seriesOf('train', history.epoch, h.accuracy), seriesOf('validation', history.epoch, h.val_accuracy)]);
  const x = epochAxis(history.epoch);
  const panelWidth = width / 2;
  const boxOf = (i: number): Box => ({
    left: i * panelWidth + MARGIN.left,
    top: TITLE_HEIGHT + MARGIN.top,
    width: panelWidth - MARGIN.left - MARGIN.right,
    height: height - TITLE_HEIGHT - MARGIN.top - MARGIN.bottom,
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${coord(width)}" height="${coord(height)}" viewBox="0 0 ${coord(width)} ${coord(height)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${coord(width / 2)}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    legend((['train', 'validation'] as const).filter((n) => [...loss, ...accuracy].some((s) => s.name === n)), width),
    panel({ box: boxOf(0), title: 'loss', yLabel: 'loss', series: loss, x, y: lossAxis(loss) }),
    panel({ box: boxOf(1), title: 'accuracy', yLabel: 'accuracy', series: accuracy, x, y: { domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] } }),
    '</svg>',
    '',
  ].join('\n');
}
