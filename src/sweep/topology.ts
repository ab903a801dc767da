/**
 * @module sweep/topology
 * A layer table as SCALE-Sim's topology CSV describes one: each row a convolution (a dense
 * layer is a 1 x 1 one), read from SCALE-Sim's two file formats and written back in the first.
 *
 * Imports mxu (the matmul shape) only. Plain data and pure functions.
 *
 * ## The formats (SCALE-Sim v2's topologies/ folder)
 * - conv: `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
 *   Num Filter, Strides,` (a ninth column, when present, is the stride along the width).
 * - GEMM: `Layer name, M, N, K,`; SCALE-Sim turns each row into the conv
 *   IFMAP M x K, filter 1 x K, 1 channel, N filters, stride 1, and so do we.
 * Cells are trimmed; a trailing comma (every SCALE-Sim file has one) and blank lines are
 * ignored. A conv row whose name contains `DP` is a depthwise layer, which SCALE-Sim expands
 * into one layer per channel (`<name>Channel_<i>`, 1 channel each); we expand it the same
 * way so totals compare. No padding: the output is ceil((H - Fh + S) / S) rows, SCALE-Sim's
 * rule, which a 'same' layer meets by listing its padded input (see ./from-model.ts).
 *
 * ## As a matmul (weight stationary: SCALE-Sim's Sr, Sc, T)
 * K = Fh * Fw * C (rows of the array), N = filters (columns), M = batch * Ho * Wo (streamed).
 */
import type { MatmulShape } from '../mxu/config.ts';

/** One layer of the table: a convolution without padding (SCALE-Sim's topology row). */
export interface LayerSpec {
  readonly name: string;
  readonly ifmapHeight: number;
  readonly ifmapWidth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly channels: number;
  readonly filters: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
}

/** A bad topology file: names the file, the line and (when one cell is wrong) the column. */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  readonly userFacing = true;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number | null,
    problem: string,
  ) {
    super(`${file}: line ${line}${column === null ? '' : `, column ${column}`}: ${problem}`);
  }
}

/** The conv format's columns, as SCALE-Sim's files spell them. */
export const CONV_COLUMNS = ['Layer name', 'IFMAP Height', 'IFMAP Width', 'Filter Height', 'Filter Width', 'Channels', 'Num Filter', 'Strides'] as const;
/** The GEMM format's columns. */
export const GEMM_COLUMNS = ['Layer name', 'M', 'N', 'K'] as const;

/** Largest value a cell may hold: far past any real layer, and products stay exact. */
export const MAX_DIM = 1 << 20;
/** Most layers a table may expand to (depthwise rows expand per channel). */
export const MAX_LAYERS = 100_000;

/** Output rows and columns of a layer: ceil((H - F + S) / S), SCALE-Sim's rule. */
export function ofmapDims(l: LayerSpec): { height: number; width: number } {
  return {
    height: Math.ceil((l.ifmapHeight - l.filterHeight + l.strideHeight) / l.strideHeight),
    width: Math.ceil((l.ifmapWidth - l.filterWidth + l.strideWidth) / l.strideWidth),
  };
}

/** The layer as C[M, N] = A[M, K] . B[K, N] on a weight-stationary array, for `batch` images. */
export function layerMatmul(l: LayerSpec, batch = 1): MatmulShape {
  const o = ofmapDims(l);
  return { m: batch * o.height * o.width, k: l.filterHeight * l.filterWidth * l.channels, n: l.filters };
}

/** Cells of one CSV line: split on commas, trimmed, a trailing empty cell (the trailing comma) dropped. */
function cells(line: string): string[] {
  const out = line.split(',').map((c) => c.trim());
  if (out.length > 1 && out[out.length - 1] === '') out.pop();
  return out;
}

/** A header cell reduced to letters: 'IFMAP Height ' -> 'ifmapheight'. */
const key = (cell: string): string => cell.toLowerCase().replace(/[^a-z]/g, '');

/** Which format a header line announces, or null. */
function formatOf(header: readonly string[]): 'conv' | 'gemm' | null {
  const k = header.map(key);
  if (k.length === 4 && k[1] === 'm' && k[2] === 'n' && k[3] === 'k') return 'gemm';
  if ((k.length === 8 || k.length === 9) && k[1]?.startsWith('ifmap') && k[3]?.startsWith('filter')) return 'conv';
  return null;
}

/** One positive integer cell, or a TopologyError naming its line, column and header name. */
function integer(file: string, line: number, row: readonly string[], col: number, header: readonly string[]): number {
  const text = row[col]!;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  const what = header[col] ?? `column ${col + 1}`;
  if (!(n >= 1)) throw new TopologyError(file, line, col + 1, `${what} must be a positive integer, got '${text}'`);
  if (n > MAX_DIM) throw new TopologyError(file, line, col + 1, `${what} ${n} is larger than ${MAX_DIM}, the largest this tool takes`);
  return n;
}

/** The layers of one data row (several for a depthwise 'DP' row). */
function rowLayers(file: string, line: number, row: readonly string[], format: 'conv' | 'gemm', header: readonly string[]): LayerSpec[] {
  const expected = format === 'gemm' ? [4] : [8, 9];
  if (!expected.includes(row.length)) {
    const names = (format === 'gemm' ? GEMM_COLUMNS : CONV_COLUMNS).join(', ');
    throw new TopologyError(file, line, null, `expected ${expected.join(' or ')} values (${names}), got ${row.length}`);
  }
  const name = row[0]!;
  if (name === '') throw new TopologyError(file, line, 1, 'the layer name is empty');
  const v = (col: number) => integer(file, line, row, col, header);
  if (format === 'gemm') {
    const [m, n, k] = [v(1), v(2), v(3)];
    return [{ name, ifmapHeight: m, ifmapWidth: k, filterHeight: 1, filterWidth: k, channels: 1, filters: n, strideHeight: 1, strideWidth: 1 }];
  }
  const stride = v(7);
  const spec: LayerSpec = {
    name,
    ifmapHeight: v(1),
    ifmapWidth: v(2),
    filterHeight: v(3),
    filterWidth: v(4),
    channels: v(5),
    filters: v(6),
    strideHeight: stride,
    strideWidth: row.length === 9 ? v(8) : stride,
  };
  if (spec.filterHeight > spec.ifmapHeight) throw new TopologyError(file, line, 4, `Filter Height ${spec.filterHeight} is larger than IFMAP Height ${spec.ifmapHeight}`);
  if (spec.filterWidth > spec.ifmapWidth) throw new TopologyError(file, line, 5, `Filter Width ${spec.filterWidth} is larger than IFMAP Width ${spec.ifmapWidth}`);
  if (!name.includes('DP')) return [spec];
  // SCALE-Sim's depthwise rows: one single-channel layer per channel
  return Array.from({ length: spec.channels }, (_, i) => ({ ...spec, name: `${name}Channel_${i}`, channels: 1 }));
}

/**
 * Parses a SCALE-Sim topology file (conv or GEMM format, told apart by the header).
 * @throws TopologyError naming `file`, the line and the column of the first bad cell
 * @example parseTopology('Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nConv1, 224, 224, 11, 11, 3, 96, 4,\n', 'alexnet.csv')
 */
export function parseTopology(text: string, file: string): LayerSpec[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new TopologyError(file, 1, null, 'the file is empty; expected a header line and one row per layer');
  const header = cells(lines[first]!);
  const format = formatOf(header);
  if (format === null) {
    throw new TopologyError(file, first + 1, null, `the header '${header.join(', ')}' is neither SCALE-Sim's conv format (${CONV_COLUMNS.join(', ')}) nor its GEMM format (${GEMM_COLUMNS.join(', ')})`);
  }
  const layers: LayerSpec[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    layers.push(...rowLayers(file, i + 1, cells(lines[i]!), format, header));
    if (layers.length > MAX_LAYERS) throw new TopologyError(file, i + 1, null, `the table expands to more than ${MAX_LAYERS} layers`);
  }
  if (layers.length === 0) throw new TopologyError(file, first + 1, null, 'no layers after the header');
  return layers;
}

/** The table in SCALE-Sim's conv format (one stride column when both strides agree), trailing commas included. */
export function formatTopology(layers: readonly LayerSpec[]): string {
  const wide = layers.some((l) => l.strideHeight !== l.strideWidth);
  const head = wide ? [...CONV_COLUMNS.slice(0, 7), 'Stride Height', 'Stride Width'] : [...CONV_COLUMNS];
  const rows = layers.map((l) => {
    const strides = wide ? [l.strideHeight, l.strideWidth] : [l.strideHeight];
    return [l.name, l.ifmapHeight, l.ifmapWidth, l.filterHeight, l.filterWidth, l.channels, l.filters, ...strides].join(', ');
  });
  return [head.join(', '), ...rows].map((r) => `${r},\n`).join('');
}
