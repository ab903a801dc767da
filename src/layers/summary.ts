/**
 * @module layers/summary
 * `model.summary()` as Keras prints it: one row per layer with its name and type, output
 * shape and parameter count ("Connected to" for functional models), then the total,
 * trainable and non-trainable counts (batch norm's moving statistics and frozen layers are
 * non-trainable). Also the same data as JSON for `tpusim summary --json`.
 *
 * Imports ./model, ./core, ./shape.
 */
import { InputLayer } from './core.ts';
import type { Model } from './model.ts';
import { formatShape, type LayerShape } from './shape.ts';

/** One summary row. */
export interface SummaryRow {
  readonly name: string;
  readonly type: string;
  readonly outputShape: LayerShape;
  readonly params: number;
  /** Names of the layers feeding this one (functional models). */
  readonly connectedTo: readonly string[];
}

/** A model's summary as data. */
export interface ModelSummary {
  readonly name: string;
  readonly kind: 'functional' | 'sequential';
  readonly rows: readonly SummaryRow[];
  readonly totalParams: number;
  readonly trainableParams: number;
  readonly nonTrainableParams: number;
}

/** Collects a model's summary. */
export function summarize(m: Model): ModelSummary {
  const rows: SummaryRow[] = [];
  for (const n of m.nodes) {
    if (m.kind === 'sequential' && n.layer instanceof InputLayer) continue;
    if (rows.some((r) => r.name === n.layer.name)) continue;
    rows.push({
      name: n.layer.name,
      type: n.layer.className,
      outputShape: n.output.shape,
      params: n.layer.countParams(),
      connectedTo: n.inputs.map((t) => t.layer.name),
    });
  }
  const trainable = m.trainableWeights.reduce((a, w) => a + w.size, 0);
  const total = m.countParams();
  return { name: m.name, kind: m.kind, rows, totalParams: total, trainableParams: trainable, nonTrainableParams: total - trainable };
}

/** Formats an integer with thousands separators, as Keras: 27,212. */
export function withCommas(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Renders a summary as Keras's text table. */
export function renderSummary(s: ModelSummary): string {
  const functional = s.kind === 'functional';
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(functional ? ['Connected to'] : [])];
  const body = s.rows.map((r) => [`${r.name} (${r.type})`, formatShape(r.outputShape), withCommas(r.params), ...(functional ? [r.connectedTo.join(', ')] : [])]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)) + 3);
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('').trimEnd();
  const width = widths.reduce((a, w) => a + w, 0);
  const out = [`Model: "${s.name}"`, '_'.repeat(width), line(header), '='.repeat(width)];
  body.forEach((row, i) => {
    out.push(line(row));
    out.push(i === body.length - 1 ? '='.repeat(width) : '_'.repeat(width));
  });
  out.push(`Total params: ${withCommas(s.totalParams)}`);
  out.push(`Trainable params: ${withCommas(s.trainableParams)}`);
  out.push(`Non-trainable params: ${withCommas(s.nonTrainableParams)}`);
  out.push('_'.repeat(width));
  return out.join('\n');
}
