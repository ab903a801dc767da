/**
 * @module cli/layers
 * `tpusim layers FILE.csv | MODEL`: a layer table (SCALE-Sim's topology CSV, or a codelab
 * preset's Conv2D and Dense layers at --image-size) on one or several weight-stationary
 * arrays: per layer and in total cycles, utilisation, mapping efficiency, SRAM and HBM traffic
 * and simulated time, from tpusim's own cycle model (src/sweep). `--no-overlap` runs weight
 * tiles back to back, SCALE-Sim's model; `--out DIR` writes SCALE-Sim's three reports per
 * array (in DIR/<run name>/), the table as a topology CSV and an SVG chart; `--config` takes
 * the array from a SCALE-Sim .cfg. Everything is checked before any work.
 * Imports sweep, layers (presets via ./limits), node:fs and ./errors, ./output-path, ./run-dir.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PRESET_NAMES } from '../layers/index.ts';
import { sweepChart } from '../sweep/chart.ts';
import { renderComparison, renderPoint } from '../sweep/format.ts';
import { modelLayers } from '../sweep/from-model.ts';
import { parseScaleSimConfig, type ScaleSimConfig } from '../sweep/scalesim-config.ts';
import { scalesimReports } from '../sweep/scalesim-reports.ts';
import { parseArrays, sweep, type ArraySize, type SweepPoint } from '../sweep/sweep.ts';
import { formatTopology, parseTopology, type LayerSpec } from '../sweep/topology.ts';
import { UsageError, parsePositiveInt } from './errors.ts';
import { presetWithinHost } from './limits.ts';
import { checkOutputFolder } from './output-path.ts';
import { writeFileAtomic } from './run-dir.ts';

/** Raw option strings, as commander hands them over. */
export interface LayersOptions {
  array?: string;
  overlap: boolean;
  json?: boolean;
  out?: string;
  config?: string;
  imageSize?: string;
  batch: string;
}

/** Largest topology or config file read (a real one is a few kB). */
const MAX_FILE_BYTES = 16 * 2 ** 20;

/** A layer table and where it came from. */
export interface LayerTable {
  readonly source: string;
  readonly layers: readonly LayerSpec[];
  readonly imageSize: number | null;
  readonly skipped: readonly string[];
}

/** The text of a small file the user named, or a UsageError naming the option and the path. */
function readSmallFile(path: string, what: string): string {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) throw new UsageError(`${what} '${path}': no such file`);
  if (!info.isFile()) throw new UsageError(`${what} '${path}' is ${info.isDirectory() ? 'a folder' : 'not a regular file'}`);
  if (info.size > MAX_FILE_BYTES) throw new UsageError(`${what} '${path}' is ${info.size} bytes; at most ${MAX_FILE_BYTES} are read`);
  return readFileSync(path, 'utf8');
}

/** The table of a preset name or a topology file. */
export function loadTable(input: string, imageSizeText: string | undefined): LayerTable {
  if ((PRESET_NAMES as readonly string[]).includes(input)) {
    const imageSize = imageSizeText === undefined ? 192 : parsePositiveInt(imageSizeText, '--image-size');
    const { layers, skipped } = modelLayers(presetWithinHost(input, { imageSize }));
    return { source: `${input} at ${imageSize} px (its Conv2D and Dense layers)`, layers, imageSize, skipped };
  }
  if (statSync(input, { throwIfNoEntry: false }) === undefined) {
    throw new UsageError(`'${input}' is neither a topology file nor a model preset (${PRESET_NAMES.join(', ')})`);
  }
  if (imageSizeText !== undefined) throw new UsageError(`--image-size sizes a model preset; the topology file '${input}' gives its own sizes`);
  const layers = parseTopology(readSmallFile(input, 'the topology file'), input);
  return { source: `${input} (${layers.length} layer${layers.length === 1 ? '' : 's'})`, layers, imageSize: null, skipped: [] };
}

/** The arrays to run: from --config, --array, or 128 x 128. */
function arraysOf(opts: LayersOptions): { sizes: ArraySize[]; config: ScaleSimConfig | null } {
  if (opts.config !== undefined && opts.array !== undefined) throw new UsageError('give the array with --array or --config, not both');
  if (opts.config !== undefined) {
    const config = parseScaleSimConfig(readSmallFile(opts.config, '--config'), opts.config);
    return { sizes: [{ rows: config.rows, cols: config.cols }], config };
  }
  return { sizes: parseArrays(opts.array ?? '128x128'), config: null };
}

/** The folder name of one array's reports: the config's run_name, else tpusim_RxC_ws[_no_overlap]. */
function runName(p: SweepPoint, config: ScaleSimConfig | null): string {
  const base = config?.runName ?? `tpusim_${p.run.rows}x${p.run.cols}_ws${p.run.overlap ? '' : '_no_overlap'}`;
  return base.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
}

/** Writes the reports, the topology and the chart into `dir`; the paths written. */
function writeOutputs(dir: string, table: LayerTable, points: readonly SweepPoint[], config: ScaleSimConfig | null): string[] {
  const written: string[] = [];
  const put = (path: string, text: string) => {
    writeFileAtomic(path, text);
    written.push(path);
  };
  mkdirSync(dir, { recursive: true });
  for (const p of points) {
    const sub = join(dir, runName(p, config));
    mkdirSync(sub, { recursive: true });
    for (const [file, text] of Object.entries(scalesimReports(p.run))) put(join(sub, file), text);
  }
  put(join(dir, 'topology.csv'), formatTopology(table.layers));
  put(join(dir, 'sweep.svg'), sweepChart(points, table.source.replace(/ \(.*\)$/, '')));
  return written;
}

/** What the command reports (also its JSON). */
export interface LayersReport {
  readonly source: string;
  readonly imageSize: number | null;
  readonly batch: number;
  readonly overlap: boolean;
  readonly config: ScaleSimConfig | null;
  readonly skipped: readonly string[];
  readonly points: readonly SweepPoint[];
  readonly written: readonly string[];
}

/** Text rendering of a report. */
export function renderLayers(r: LayersReport): string {
  const mode = r.overlap ? 'weight loads overlapped (double buffered)' : 'weight tiles back to back (--no-overlap, SCALE-Sim)';
  const arrays = r.points.map((p) => `${p.run.rows} x ${p.run.cols}`).join(', ');
  const lines = [`${r.source}, batch ${r.batch}, on ${arrays} weight-stationary array${r.points.length > 1 ? 's' : ''}, ${mode}, ${(r.points[0]!.run.clockHz / 1e6).toFixed(0)} MHz`];
  if (r.config) {
    const kb = (x: number | null) => (x === null ? '-' : `${x} kB`);
    lines.push(
      `SCALE-Sim config${r.config.runName ? ` ${r.config.runName}` : ''}: SRAM IFMAP ${kb(r.config.sramKb.ifmap)}, Filter ${kb(r.config.sramKb.filter)}, OFMAP ${kb(r.config.sramKb.ofmap)} ` +
        "(tpusim moves each operand once between HBM and the core; SCALE-Sim's DRAM counts also refetch what these SRAMs cannot hold)",
    );
  }
  if (r.skipped.length > 0) lines.push(`not in the table (weights, but not Conv2D or Dense): ${r.skipped.join(', ')}`);
  lines.push('');
  lines.push(r.points.length === 1 ? renderPoint(r.points[0]!) : renderComparison(r.points));
  if (r.written.length > 0) lines.push('', `wrote ${r.written.join(', ')}`);
  return lines.join('\n');
}

/** Runs the command for these options: checks everything, sweeps, writes --out. */
export function layersReport(input: string, opts: LayersOptions): LayersReport {
  const batch = parsePositiveInt(opts.batch, '--batch');
  const { sizes, config } = arraysOf(opts);
  if (opts.out !== undefined) checkOutputFolder(opts.out, '--out');
  const table = loadTable(input, opts.imageSize);
  if (table.layers.length === 0) throw new UsageError(`${input}: no Conv2D or Dense layers to put on the MXU`);
  const points = sweep(table.layers, sizes, { overlap: opts.overlap, batch });
  const written = opts.out === undefined ? [] : writeOutputs(opts.out, table, points, config);
  return { source: table.source, imageSize: table.imageSize, batch, overlap: opts.overlap, config, skipped: table.skipped, points, written };
}

/** Adds the `layers` command to the program. */
export function registerLayers(program: Command): void {
  program
    .command('layers')
    .description("a layer table (SCALE-Sim topology CSV or a model preset's convolutions and dense layers) on weight-stationary arrays: cycles, utilisation, mapping efficiency, SRAM/HBM traffic, time")
    .argument('<input>', `a SCALE-Sim topology .csv (conv or GEMM format) or a model preset (${PRESET_NAMES.join(', ')})`)
    .option('--array <RxC>', 'array size(s), comma-separated: 128x128 or 32x32,128x128,256x256 (default 128x128)')
    .option('--no-overlap', 'run weight tiles back to back (SCALE-Sim) instead of double-buffering the weight loads')
    .option('--config <file.cfg>', 'take the array from a SCALE-Sim config (ArrayHeight, ArrayWidth, Dataflow ws, SRAM sizes) instead of --array')
    .option('--image-size <px>', 'image height = width of a model preset (default 192)')
    .option('--batch <n>', 'images per layer (M = batch x output pixels); SCALE-Sim runs 1', '1')
    .option('--out <dir>', "write SCALE-Sim's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv per array, topology.csv and sweep.svg")
    .option('--json', 'print JSON')
    .action((input: string, opts: LayersOptions) => {
      const report = layersReport(input, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${renderLayers(report)}\n`);
    });
}
