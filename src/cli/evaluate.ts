/**
 * @module cli/evaluate
 * `tpusim evaluate MODEL_DIR|RUN_DIR --data DIR|synthetic [--split validation|train|all]
 * [--batch N] [--limit N] [--workers N] [--json]`: loads a saved model from its folder alone,
 * compiles it for evaluation (sparse categorical cross-entropy + accuracy) and runs
 * `model.evaluate` on the flowers, decoded at the model's input size exactly as `tpusim train` decodes them
 * (data/flowers `loadFlowers`; the same split rules). Prints the loss, the accuracy and the
 * number of images.
 *
 * Synthetic data is the generator `tpusim train --data synthetic` uses, the first `--count`
 * images of a split: with train's `--seed`, `--split train` draws train's training images
 * (seed) and `--split validation` its validation images (seed + 1000; with `--count` = the
 * run's validation size, the loss is the run's last val_loss); `all` is both.
 *
 * Imports data (flowers), layers (types), ./predict (model folders), ./errors, ./output.
 */
import type { Command } from 'commander';
import { Dataset, loadFlowers, synthFlowers, type Flower } from '../data/index.ts';
import { LayerConfigError, type BatchLike } from '../layers/index.ts';
import { parseChoice, parsePositiveInt, parseSeed, UsageError } from './errors.ts';
import { parseWorkers } from './flowers.ts';
import { checkFits, hostMemory } from './limits.ts';
import { emit } from './output.ts';
import { openSavedModel } from './predict.ts';

const SPLITS = ['validation', 'train', 'all'] as const;
type SplitName = (typeof SPLITS)[number];

interface EvaluateOpts {
  data: string;
  split: string;
  batch: string;
  limit?: string;
  count: string;
  seed: string;
  workers: string;
  json?: boolean;
}

/** What `tpusim evaluate` reports. */
export interface EvaluateReport {
  readonly model: string;
  readonly data: string;
  readonly split: SplitName;
  readonly images: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** The images to evaluate on, decoded at `size`. */
async function flowers(o: EvaluateOpts, split: SplitName, size: number): Promise<{ dataset: Dataset<Flower>; classes?: readonly string[] }> {
  if (o.data === 'synthetic') {
    const count = parsePositiveInt(o.count, '--count');
    const seed = parseSeed(o.seed);
    const train = () => synthFlowers({ count, size, seed });
    const validation = () => synthFlowers({ count, size, seed: seed + 1000 });
    if (split === 'train') return { dataset: train() };
    if (split === 'validation') return { dataset: validation() };
    return { dataset: Dataset.fromGenerator(async function* () { yield* train(); yield* validation(); }) };
  }
  const set = await loadFlowers({ src: o.data, split, size, workers: parseWorkers(o.workers) });
  // Shards do not record their class names; class folders do, and must match the model's.
  return { dataset: set.dataset, ...(set.form === 'folder' ? { classes: set.classes } : {}) };
}

function render(r: EvaluateReport): string {
  return `loss ${r.loss.toFixed(4)}  accuracy ${r.accuracy.toFixed(4)}  on ${r.images} images (${r.split} split of ${r.data})`;
}

/** Adds the `evaluate` command to the program. */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('loss and accuracy of a saved model (a model folder, or a run folder holding model/) on the flowers')
    .argument('<model>', 'model folder (model.json + weights), run folder (its model/), or a model.json')
    .requiredOption('--data <src>', "'synthetic' or a flowers folder (TFRecord shards or class folders)")
    .option('--split <split>', `which images: ${SPLITS.join(' | ')}`, 'validation')
    .option('--batch <n>', 'images per evaluation step', '32')
    .option('--limit <n>', 'only the first N images of the split')
    .option('--count <n>', 'synthetic images per split', '64')
    .option('--seed <n>', 'seed of the synthetic images (as tpusim train --seed: a positive integer)', '1')
    .option('--workers <n>', 'threads decoding a folder\'s images (0 = the main thread)', '2')
    .option('--json', 'print JSON')
    .action(async (path: string, o: EvaluateOpts) => {
      const split = parseChoice(o.split, '--split', SPLITS);
      const batch = parsePositiveInt(o.batch, '--batch');
      const limit = o.limit === undefined ? undefined : parsePositiveInt(o.limit, '--limit');
      parseWorkers(o.workers);
      const saved = await openSavedModel(path);
      // the batch of f32 images and, on the device, at least as much again
      checkFits(`--batch ${batch} at ${saved.imageSize} px`, 2 * batch * saved.imageSize ** 2 * 3 * 4, hostMemory(), 'the batch of f32 images, twice');
      const data = await flowers(o, split, saved.imageSize);
      if (saved.classesFromFile && data.classes && data.classes.join('\n') !== saved.classes.join('\n')) {
        throw new UsageError(`the classes of '${o.data}' (${data.classes.join(', ')}) are not the model's classes.json (${saved.classes.join(', ')})`);
      }
      let images = 0;
      const counted = (limit === undefined ? data.dataset : data.dataset.take(limit)).map((f) => {
        images++;
        return f;
      });
      const batches = counted.batch(batch, { dropRemainder: false }) as unknown as Dataset<BatchLike>;
      const m = saved.model;
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const r = await m.evaluate(batches).catch((err: unknown) => {
        if (images === 0 && err instanceof LayerConfigError) throw new UsageError(`no images in the ${split} split of '${o.data}'`);
        throw err;
      });
      const report: EvaluateReport = { model: saved.path, data: o.data, split, images, loss: r.loss, accuracy: r.accuracy };
      emit(report, o.json, render);
    });
}
