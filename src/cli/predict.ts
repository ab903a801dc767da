/**
 * @module cli/predict
 * `tpusim predict MODEL_DIR|RUN_DIR image.jpg... [--top K] [--json]`: loads a saved model from
 * its folder alone (layers/io `loadModel`: MODEL_DIR/model.json, or RUN_DIR/model/model.json),
 * decodes each JPEG exactly as training does (data/image `decodeToSquare`: central square crop,
 * bilinear resize to the model's input size, scaled to [0, 1]) and prints each image's top K
 * classes with the model's output probabilities. Class names come from a `classes.json`
 * (a JSON list of names) beside model.json, else the flowers' names.
 *
 * Also the model folder helpers `tpusim evaluate` shares (`openSavedModel`).
 * Imports data (decode, class names), layers (loading), ./errors, ./output.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { DataError, decodeToSquare, FLOWER_CLASSES } from '../data/index.ts';
import { formatShape, loadModel, modelJsonPath, type Model } from '../layers/index.ts';
import { parsePositiveInt, UsageError } from './errors.ts';
import { emit } from './output.ts';

/** A model loaded from its folder, with what the image commands need to know about it. */
export interface SavedModel {
  readonly model: Model;
  /** The model.json it was loaded from. */
  readonly path: string;
  /** One name per output class. */
  readonly classes: readonly string[];
  /** Whether `classes` came from a classes.json (else the flowers' names, or numbers). */
  readonly classesFromFile: boolean;
  /** Side of the square RGB images the model takes. */
  readonly imageSize: number;
}

/** classes.json beside model.json (a list of names, one per output), or undefined when there is none. */
async function readClasses(jsonPath: string, outputs: number): Promise<string[] | undefined> {
  const file = join(dirname(jsonPath), 'classes.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read '${file}': ${(err as Error).message}`);
  }
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`'${file}' is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new UsageError(`'${file}' must be a JSON list of class names`);
  if (names.length !== outputs) throw new UsageError(`'${file}' names ${names.length} classes; the model has ${outputs} outputs`);
  return names as string[];
}

/**
 * Loads a model folder or run folder for the image commands: the model, its class names and
 * the square image size it takes.
 * @throws UsageError (or the loader's LayerConfigError) naming the file and the problem
 */
export async function openSavedModel(path: string): Promise<SavedModel> {
  const jsonPath = await modelJsonPath(path);
  const model = await loadModel(jsonPath);
  const [, h, w, c] = model.inputShape;
  if (model.inputShape.length !== 4 || h !== w || c !== 3 || typeof h !== 'number') {
    throw new UsageError(`the model in '${jsonPath}' takes ${formatShape(model.inputShape)}; images need an input of (None, S, S, 3)`);
  }
  const outputs = model.outputShape[model.outputShape.length - 1];
  if (model.outputShape.length !== 2 || typeof outputs !== 'number') {
    throw new UsageError(`the model in '${jsonPath}' outputs ${formatShape(model.outputShape)}; a classifier outputs (None, classes)`);
  }
  const fromFile = await readClasses(jsonPath, outputs);
  const classes = fromFile ?? (outputs === FLOWER_CLASSES.length ? [...FLOWER_CLASSES] : Array.from({ length: outputs }, (_, i) => String(i)));
  return { model, path: jsonPath, classes, classesFromFile: fromFile !== undefined, imageSize: h };
}

/** A JPEG file decoded as training decodes it: [size, size, 3] f32 in [0, 1]. */
export async function readImage(file: string, size: number): Promise<Float32Array> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new UsageError(`cannot read '${file}': no such file`);
  if (info.isDirectory()) throw new UsageError(`'${file}' is a directory, not a JPEG file`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new UsageError(`cannot read '${file}': ${(err as Error).message}`);
  }
  try {
    return decodeToSquare(bytes, size).data;
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(`'${file}': ${err.message}`);
    throw err;
  }
}

/** One class of one image's top K. */
export interface ClassScore {
  readonly class: string;
  readonly index: number;
  readonly probability: number;
}

/** What `tpusim predict` reports. */
export interface PredictReport {
  readonly model: string;
  readonly imageSize: number;
  readonly images: readonly { readonly file: string; readonly top: readonly ClassScore[] }[];
}

/** The `k` highest of one image's outputs, highest first (ties: lower class index first). */
export function topK(probs: Float32Array, classes: readonly string[], k: number): ClassScore[] {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b);
  return order.slice(0, k).map((i) => ({ class: classes[i]!, index: i, probability: probs[i]! }));
}

function render(r: PredictReport): string {
  const width = Math.max(...r.images.flatMap((im) => im.top.map((t) => t.class.length)));
  return r.images.map((im) => [im.file, ...im.top.map((t, i) => `  ${i + 1}. ${t.class.padEnd(width)}  ${t.probability.toFixed(4)}`)].join('\n')).join('\n');
}

/** Adds the `predict` command to the program. */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('classify JPEG images with a saved model (a model folder, or a run folder holding model/)')
    .argument('<model>', 'model folder (model.json + weights), run folder (its model/), or a model.json')
    .argument('<images...>', 'JPEG files')
    .option('--top <k>', 'classes shown per image', '3')
    .option('--json', 'print JSON')
    .action(async (path: string, files: string[], o: { top: string; json?: boolean }) => {
      const top = parsePositiveInt(o.top, '--top');
      const saved = await openSavedModel(path);
      const size = saved.imageSize;
      // Every image is read before any prediction: a bad file fails the command, not half of it.
      const images = await Promise.all(files.map((f) => readImage(f, size)));
      const x = new Float32Array(images.length * size * size * 3);
      images.forEach((im, i) => x.set(im, i * im.length));
      const probs = await saved.model.predict(x);
      const n = saved.classes.length;
      const report: PredictReport = {
        model: saved.path,
        imageSize: size,
        images: files.map((file, i) => ({ file, top: topK(probs.subarray(i * n, (i + 1) * n), saved.classes, Math.min(top, n)) })),
      };
      emit(report, o.json, render);
    });
}
