/**
 * @module cli/import
 * `tpusim import FROZEN_GRAPH.pb --out MODEL_DIR [--input NAME] [--output NAME]
 * [--image-size N] [--input-range LO,HI] [--labels FILE]`: converts a TensorFlow frozen
 * GraphDef into a tpusim model folder (TensorFlow.js layers format: model.json and its
 * weights file, as `tpusim predict` and `loadModel` read it), batch norms folded into the
 * convolutions (tfgraph/fold). `--output` cuts the graph at an inner node (a feature
 * extractor for `tpusim train --model mobilenet-transfer --backbone MODEL_DIR`).
 *
 * Images reach a tpusim model in [0, 1]; `--input-range` says what the graph expects
 * (default -1,1: TF-Slim's MobileNet and Inception), and a Rescaling layer in front maps
 * one to the other. `--labels` (a file of `index:name` lines, or one name per line, as
 * TensorFlow's published models ship) becomes classes.json beside model.json, where
 * `tpusim predict` looks for class names.
 *
 * Imports tfgraph, layers (saving), ./errors, ./output-path, ./output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { saveModel, withCommas, writeAtomic } from '../layers/index.ts';
import { convertGraph, GraphImportError, readGraphDef, type ConvertOptions } from '../tfgraph/index.ts';
import { parsePositiveInt, UsageError } from './errors.ts';
import { checkOutputFolder } from './output-path.ts';
import { emit } from './output.ts';

interface ImportOpts {
  out: string;
  input?: string;
  output?: string;
  imageSize?: string;
  inputRange: string;
  labels?: string;
  json?: boolean;
}

/** What `tpusim import` reports. */
export interface ImportReport {
  readonly graph: string;
  readonly out: string;
  readonly layers: number;
  readonly params: number;
  readonly inputShape: readonly (number | null)[];
  readonly outputShape: readonly (number | null)[];
  readonly classes?: number;
}

/** '-1,1' -> [-1, 1]: the pixel range the graph expects. */
export function parseRange(text: string): [number, number] {
  const parts = text.split(',').map((p) => p.trim());
  const nums = parts.map((p) => (/^-?(\d+\.?\d*|\.\d+)$/.test(p) ? Number(p) : NaN));
  if (nums.length !== 2 || nums.some((n) => !Number.isFinite(n)) || !(nums[1]! > nums[0]!)) {
    throw new UsageError(`--input-range must be two numbers LO,HI with LO < HI (like -1,1 or 0,255), got '${text}'`);
  }
  return [nums[0]!, nums[1]!];
}

/**
 * Class names from a labels file: `index:name` lines (TensorFlow's labels.txt; each index
 * once, 0 to n-1) or one name per line. Empty lines at the end are ignored.
 * @throws UsageError naming the file and line
 */
export function readLabels(file: string, outputs: number): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--labels '${file}': cannot read it (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
  const lines = text.replace(/\r/g, '').replace(/\n+$/, '').split('\n');
  const indexed = lines.every((l) => /^\d+:/.test(l));
  const names: string[] = new Array<string>(lines.length);
  lines.forEach((line, i) => {
    const m = indexed ? /^(\d+):(.*)$/.exec(line)! : null;
    const at = m ? Number(m[1]) : i;
    if (at >= lines.length || names[at] !== undefined) throw new UsageError(`--labels '${file}' line ${i + 1}: index ${at} is ${at >= lines.length ? 'out of range' : 'repeated'}`);
    names[at] = (m ? m[2]! : line).trim();
  });
  if (names.length !== outputs) throw new UsageError(`--labels '${file}' names ${names.length} classes; the model has ${outputs} outputs`);
  return names;
}

/** Adds the `import` command to the program. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('convert a TensorFlow frozen graph (.pb) into a tpusim model folder (batch norms folded into the convolutions)')
    .argument('<graph>', 'frozen GraphDef file, e.g. mobilenet_v1_0.25_224/frozen_graph.pb')
    .requiredOption('--out <dir>', 'the model folder to write (model.json + weights, classes.json with --labels)')
    .option('--input <name>', 'the input Placeholder (default: the one the output depends on)')
    .option('--output <name>', 'the node the model returns (default: the graph\'s end node); an inner node makes a feature extractor')
    .option('--image-size <n>', 'input height = width (default: the Placeholder\'s)')
    .option('--input-range <lo,hi>', 'pixel range the graph expects; tpusim images are in [0, 1] and a Rescaling layer maps them', '-1,1')
    .option('--labels <file>', 'class names (labels.txt: index:name lines, or one name per line), saved as classes.json')
    .option('--json', 'print JSON')
    .action(async (graphPath: string, o: ImportOpts) => {
      const [lo, hi] = parseRange(o.inputRange);
      const imageSize = o.imageSize === undefined ? undefined : parsePositiveInt(o.imageSize, '--image-size');
      if (imageSize !== undefined && imageSize > 1024) throw new UsageError(`--image-size ${imageSize} is more than 1024`);
      const out = checkOutputFolder(o.out, '--out');
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(graphPath);
      } catch (err) {
        throw new UsageError(`cannot read '${graphPath}': ${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
      const graph = readGraphDef(bytes, graphPath);
      const options: ConvertOptions = {
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.output !== undefined ? { output: o.output } : {}),
        ...(imageSize !== undefined ? { imageSize } : {}),
        inputScale: hi - lo,
        inputOffset: lo,
      };
      let m;
      try {
        m = convertGraph(graph, options);
      } catch (err) {
        if (err instanceof GraphImportError) throw new UsageError(`${graphPath}: ${err.message}`);
        throw err;
      }
      const outputs = m.outputShape[m.outputShape.length - 1];
      const labels = o.labels === undefined ? undefined : readLabels(o.labels, typeof outputs === 'number' ? outputs : -1);
      await saveModel(m, out);
      if (labels) await writeAtomic(join(out, 'classes.json'), `${JSON.stringify(labels)}\n`);
      const report: ImportReport = {
        graph: graphPath,
        out,
        layers: m.layers.length,
        params: m.countParams(),
        inputShape: m.inputShape,
        outputShape: m.outputShape,
        ...(labels ? { classes: labels.length } : {}),
      };
      const shape = (s: readonly (number | null)[]): string => `(${s.map((d) => d ?? 'None').join(', ')})`;
      emit(report, o.json, (r) => `${r.graph}: ${r.layers} layers, ${withCommas(r.params)} params, input ${shape(r.inputShape)}, output ${shape(r.outputShape)}${r.classes ? `, ${r.classes} class names` : ''}\nsaved to ${r.out}`);
    });
}
