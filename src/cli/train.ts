/**
 * @module cli/train
 * `tpusim train`: trains a codelab model on the flowers on simulated TensorCores, in the
 * codelab's setting by default (192 x 192, a v2-8's 8 cores, 16 images per core: a global
 * batch of 128, Adam), on a folder of class folders or TFRecord shards (`--data`), or on
 * synthetic flowers the program draws itself (the default, no download). It says first what
 * it will do, shows each epoch's progress, then one line per epoch (loss, accuracy,
 * validation, simulated TPU time, host time), and writes the run to a folder (./run-dir.ts):
 * history, training curves, the profile of a simulated step, a checkpoint per epoch and the
 * trained model in TensorFlow.js format. `--resume RUN_DIR` continues a run from its last
 * checkpoint with the same bits as if it had never stopped. `--model mobilenet-transfer
 * --backbone MODEL_DIR` trains a new head on an imported backbone, frozen, then optionally
 * (`--unfreeze-epochs`) all of it at a low learning rate (./train-transfer.ts).
 *
 * Imports data (augmentations), layers (presets, fit, checkpoints, saving), mxu (precisions),
 * ./train-data (the images), ./run-dir, ./errors, ./output.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AUGMENTATIONS, type Augmentation, type Dataset } from '../data/index.ts';
import { checkpointOf, restoreCheckpoint } from '../layers/checkpoint.ts';
import { OPTIMIZERS, adam, perEpoch, transferModel, unfreeze, inactiveOutputUnits, reluHead, interpreterEngine, momentum, preset, rmsprop, saveModel, sgd, tpuEngine, tpuStrategy, withCommas, type BatchLike, type History, type Model, type Optimizer, type Schedule } from '../layers/index.ts';
import { PRECISIONS, type Precision } from '../mxu/config.ts';
import type { Profile } from '../tpu/index.ts';
import { parseChoice, parsePositiveInt, UsageError } from './errors.ts';
import { emit } from './output.ts';
import { trainingCurvesSvg } from './curves.ts';
import { profileReport, profileSummary } from './profile-report.ts';
import { TrainingProgress } from './progress.ts';
import { RunDir, type RunSettings } from './run-dir.ts';
import { augmentationOf, datasets } from './train-data.ts';
import { checkTrainFits } from './train-limits.ts';
import { FINE_TUNE_LR, MODEL_NAMES, TRANSFER, checkTransferOptions, openBackbone, totalEpochs } from './train-transfer.ts';

interface TrainOpts {
  model: string;
  backbone?: string;
  unfreezeEpochs?: string;
  fineTuneLr?: string;
  data: string;
  imageSize: string;
  batchPerCore?: string;
  batch?: string;
  epochs: string;
  stepsPerEpoch?: string;
  validationSteps?: string;
  count: string;
  limit?: string;
  cores: string;
  threads: string;
  optimizer: string;
  lr?: string;
  lrDecay?: string;
  precision: string;
  engine: string;
  seed: string;
  augment?: string;
  out?: string;
  resume?: string;
  save?: string;
  json?: boolean;
}

/** What `tpusim train` reports. */
export interface TrainReport {
  readonly model: string;
  readonly params: number;
  readonly engine: string;
  readonly cores: number;
  /** The most host threads that simulated the cores (1 = the main thread only). */
  readonly threads: number;
  readonly globalBatch: number;
  readonly data: string;
  readonly runDir: string;
  readonly history: History;
  readonly savedTo?: string;
}

/**
 * The run's optimizer: `lr` (default: the optimizer's own), times `decay` after every epoch
 * (Keras's LearningRateScheduler with lr * decay ** epoch; `decay` 1 = constant).
 * @example optimizerFrom('adam', undefined, 0.9).schedule(0, 2) // 0.001 * 0.81
 */
export function optimizerFrom(name: string, lr: number | undefined, decay = 1): Optimizer {
  const which = parseChoice(name, '--optimizer', Object.keys(OPTIMIZERS) as (keyof typeof OPTIMIZERS)[]);
  const make = (learningRate: number | Schedule | undefined): Optimizer => {
    const args = learningRate !== undefined ? { learningRate } : {};
    if (which === 'adam') return adam(args);
    if (which === 'rmsprop') return rmsprop(args);
    if (which === 'momentum') return momentum(args);
    if (which === 'nesterov') return momentum({ ...args, nesterov: true });
    return sgd(args);
  };
  if (decay === 1) return make(lr);
  const base = lr ?? make(undefined).schedule(0, 0);
  return make(perEpoch((epoch) => base * decay ** epoch));
}

/** A positive finite number in plain decimal or exponent form ('0x10' is not 16). */
function parseRate(value: string, option: string): number {
  const v = value.trim();
  if (!/^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) || !(Number(v) > 0) || !Number.isFinite(Number(v))) throw new UsageError(`${option} must be a positive number, got '${value}'`);
  return Number(v);
}

/** --lr-decay: a factor in (0, 1]. */
function parseDecay(value: string): number {
  const d = parseRate(value, '--lr-decay');
  if (d > 1) throw new UsageError(`--lr-decay must be at most 1 (the factor the learning rate is multiplied by after each epoch), got '${value}'`);
  return d;
}

/** The run's settings from the command line. */
function settingsFrom(o: TrainOpts): RunSettings {
  const cores = parsePositiveInt(o.cores, '--cores');
  if (o.batch !== undefined && o.batchPerCore !== undefined) throw new UsageError('give --batch (global) or --batch-per-core, not both');
  let batchPerCore = 16;
  if (o.batchPerCore !== undefined) batchPerCore = parsePositiveInt(o.batchPerCore, '--batch-per-core');
  if (o.batch !== undefined) {
    const batch = parsePositiveInt(o.batch, '--batch');
    if (batch % cores !== 0) throw new UsageError(`--batch ${batch} must be a multiple of --cores ${cores}`);
    batchPerCore = batch / cores;
  }
  const imageSize = parsePositiveInt(o.imageSize, '--image-size');
  if (imageSize > 1024) throw new UsageError(`--image-size ${imageSize} is more than 1024 (the codelab trains at 192)`);
  const synthetic = o.data === 'synthetic';
  if (!synthetic && o.count !== COUNT_DEFAULT) throw new UsageError('--count is for synthetic data; use --limit to cap real data');
  if (synthetic && o.limit !== undefined) throw new UsageError('--limit caps real data; use --count for synthetic flowers');
  const model = parseChoice(o.model, '--model', MODEL_NAMES);
  checkTransferOptions(model, o);
  const recipe = recipeOf(model);
  const lrDecay = o.lrDecay !== undefined ? parseDecay(o.lrDecay) : recipe.lrDecay;
  return {
    model,
    ...(o.backbone !== undefined ? { backbone: resolve(o.backbone) } : {}),
    ...(o.unfreezeEpochs !== undefined ? { unfreezeEpochs: parsePositiveInt(o.unfreezeEpochs, '--unfreeze-epochs') } : {}),
    ...(o.fineTuneLr !== undefined ? { fineTuneLr: parseRate(o.fineTuneLr, '--fine-tune-lr') } : {}),
    data: o.data,
    imageSize,
    cores,
    batchPerCore,
    epochs: parsePositiveInt(o.epochs, '--epochs'),
    ...(o.stepsPerEpoch ? { stepsPerEpoch: parsePositiveInt(o.stepsPerEpoch, '--steps-per-epoch') } : {}),
    ...(o.validationSteps ? { validationSteps: parsePositiveInt(o.validationSteps, '--validation-steps') } : {}),
    ...(synthetic ? { count: parsePositiveInt(o.count, '--count') } : {}),
    ...(o.limit !== undefined ? { limit: parsePositiveInt(o.limit, '--limit') } : {}),
    optimizer: parseChoice(o.optimizer, '--optimizer', Object.keys(OPTIMIZERS)),
    ...(o.lr !== undefined ? { lr: parseRate(o.lr, '--lr') } : {}),
    ...(lrDecay !== undefined ? { lrDecay } : {}),
    precision: parseChoice<Precision>(o.precision, '--precision', PRECISIONS),
    engine: parseChoice(o.engine, '--engine', ['tpu', 'interpreter']),
    seed: parsePositiveInt(o.seed, '--seed'),
    augment: parseChoice<Augmentation>(o.augment ?? recipe.augment, '--augment', AUGMENTATIONS),
  };
}

/**
 * What a model trains with unless the command line says otherwise. The codelab's models train
 * on the images as they are at Adam's constant rate, as its code does; squeeze-90, tpusim's own
 * recipe, flips and zooms them at random and decays the rate by 0.95 per epoch (without, it
 * overfits and stays near 0.80: see its preset).
 */
function recipeOf(model: string): { readonly augment: Augmentation; readonly lrDecay?: number } {
  return model === 'squeeze-90' ? { augment: 'flip-zoom', lrDecay: 0.95 } : { augment: 'none' };
}

const COUNT_DEFAULT = '640';

/** Two histories, one after the other (a resumed run's). */
function concatHistory(a: History, b: History): History {
  return {
    epoch: [...a.epoch, ...b.epoch],
    history: { loss: [...a.history.loss, ...b.history.loss], accuracy: [...a.history.accuracy, ...b.history.accuracy], val_loss: [...a.history.val_loss, ...b.history.val_loss], val_accuracy: [...a.history.val_accuracy, ...b.history.val_accuracy] },
    deviceSeconds: [...a.deviceSeconds, ...b.deviceSeconds],
    hostSeconds: [...a.hostSeconds, ...b.hostSeconds],
    steps: [...a.steps, ...b.steps],
    // A history saved before hostLoad was recorded has none: null (unknown) keeps the epochs aligned.
    hostLoad: [...(a.hostLoad ?? a.epoch.map(() => null)), ...(b.hostLoad ?? b.epoch.map(() => null))],
  };
}

const EMPTY_HISTORY: History = { epoch: [], history: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] }, deviceSeconds: [], hostSeconds: [], steps: [] };

/** How many workers 'auto' grows to, for --help. */
function defaultThreadsHelp(): string {
  return `min(--cores, ${availableParallelism()} host CPUs)`;
}

/** The --threads value: 'auto', or a positive integer no larger than --cores. */
function threadsFrom(value: string, cores: number): number | 'auto' {
  if (value === 'auto') return 'auto';
  const threads = /^\d+$/.test(value.trim()) ? Number(value) : 0;
  if (!Number.isSafeInteger(threads) || threads < 1) throw new UsageError(`--threads must be a positive integer or 'auto', got '${value}'`);
  if (threads > cores) throw new UsageError(`--threads ${threads} is more than --cores ${cores} (a host thread simulates at least one core)`);
  return threads;
}

/** runs/<model>-<yyyymmdd-hhmmss> */
function defaultRunDir(model: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${model}-${t}`);
}


function build(s: RunSettings, threads: number | 'auto', backbone: Model | undefined, fineTune: boolean): Model {
  const m = backbone ? transferModel(backbone, { name: 'mobilenet_transfer', seed: s.seed }) : preset(s.model, { imageSize: s.imageSize, seed: s.seed });
  compileFor(m, s, threads, fineTune);
  return m;
}

/** Compiles for the run; `fineTune`: every layer trainable, at the fine-tuning learning rate. */
function compileFor(m: Model, s: RunSettings, threads: number | 'auto', fineTune: boolean): void {
  if (fineTune) unfreeze(m);
  m.compile({
    optimizer: fineTune ? optimizerFrom(s.optimizer, s.fineTuneLr ?? FINE_TUNE_LR) : optimizerFrom(s.optimizer, s.lr, s.lrDecay),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
    precision: s.precision as Precision,
    strategy: tpuStrategy({ cores: s.cores, threads }),
    engine: s.engine === 'tpu' ? tpuEngine() : interpreterEngine(),
  });
}

/** Images the output-unit check looks at. */
const UNIT_CHECK_IMAGES = 128;

/**
 * Before a fresh run of a model whose class scores come out of a ReLU (squeeze-fast, as the
 * codelab builds it): says which classes start with their unit at 0 for nearly every
 * validation image (layers/diagnostics.ts), since such a run may stall.
 */
async function checkOutputUnits(m: Model, validation: Dataset<BatchLike>, classes: readonly string[], s: RunSettings, say: (line: string) => void): Promise<void> {
  if (!reluHead(m)) return;
  const per = s.imageSize * s.imageSize * 3;
  const parts: Float32Array[] = [];
  let n = 0;
  for await (const b of validation) {
    const xs = 'image' in b ? b.image : b.xs;
    const take = Math.min(xs.length / per, UNIT_CHECK_IMAGES - n);
    parts.push(xs instanceof Float32Array ? xs.slice(0, take * per) : Float32Array.from({ length: take * per }, (_, i) => xs[i]!));
    n += take;
    if (n >= UNIT_CHECK_IMAGES) break;
  }
  if (n === 0) return;
  const xs = new Float32Array(n * per);
  parts.reduce((at, p) => (xs.set(p, at), at + p.length), 0);
  const r = await inactiveOutputUnits(m, xs);
  if (!r || r.units.length === 0) return;
  const names = r.units.map((u) => `${classes[u] ?? u} (${Math.round(r.zeroFraction[u]! * 100)}%)`).join(', ');
  say(
    `note: at these initial weights (--seed ${s.seed}) ${r.units.length} of the ${r.zeroFraction.length} class scores ${r.units.length === 1 ? 'is' : 'are'} 0 for most of ${r.images} validation images: ${names}. ` +
      `The scores come out of a ReLU (${r.layer}, then ${r.path.join(', ')}, as the codelab's code builds it) whose gradient is 0 where it is 0, ` +
      `so these classes are learned slowly or never and the run may stall below the codelab's accuracy. The codelab's advice: restart (here: another --seed).`,
  );
}

/** Adds the `train` command to the program. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a codelab model on the flowers on simulated TensorCores (the codelab\'s setting by default)')
    .option('--model <preset>', `model: ${MODEL_NAMES.join(' | ')}`, 'squeeze-fast')
    .option('--unfreeze-epochs <n>', `for --model ${TRANSFER}: after --epochs with the backbone frozen, this many epochs with it trainable`)
    .option('--fine-tune-lr <rate>', `learning rate of the --unfreeze-epochs phase (default ${FINE_TUNE_LR})`)
    .option('--backbone <dir>', `for --model ${TRANSFER}: a model folder from tpusim import --output (e.g. MobileNet cut at its last feature map), frozen under a new pooling + dense softmax head; sets the image size`)
    .option('--data <src>', "a folder of class folders or TFRecord shards, or 'synthetic' (flowers drawn by tpusim, no download)", 'synthetic')
    .option('--image-size <pixels>', 'input height = width', '192')
    .option('--cores <n>', 'TensorCores (data parallel: gradients all-reduced); a v2-8 board has 8', '8')
    .option('--batch-per-core <n>', 'images per core per step (Keras on TPU: the batch size is per core; default 16)')
    .option('--batch <n>', 'global batch instead (split evenly over the cores)')
    .option('--epochs <n>', 'epochs', '5')
    .option('--steps-per-epoch <n>', 'optimizer steps per epoch (default: one pass over the training data)')
    .option('--validation-steps <n>', 'validation batches per epoch, drawn from a shuffled validation set (default: all of it)')
    .option('--count <n>', 'synthetic training images', COUNT_DEFAULT)
    .option('--limit <n>', 'at most this many real training images (validation: a quarter)')
    .option('--threads <n|auto>', `host threads simulating the cores: 1 = this thread, N = N worker threads (at most --cores), auto = up to ${defaultThreadsHelp()} workers once a step proves long, if that many CPUs are idle; results are the same for any count`, 'auto')
    .option('--optimizer <name>', `optimizer: ${Object.keys(OPTIMIZERS).join(' | ')}`, 'adam')
    .option('--lr <rate>', "learning rate (default: the optimizer's)")
    .option('--lr-decay <factor>', 'multiply the learning rate by this after every epoch, as a Keras LearningRateScheduler of lr * factor ** epoch (default: 0.95 for squeeze-90, 1 (constant) for the codelab\'s models)')
    .option('--precision <p>', `matmul precision: ${PRECISIONS.join(' | ')}`, 'default')
    .option('--engine <e>', 'tpu (lowered programs on the simulated TensorCores) | interpreter (the reference)', 'tpu')
    .option('--seed <n>', 'seed of weights, shuffling, augmentation and synthetic data', '1')
    .option('--augment <a>', `random augmentation of the training images: ${AUGMENTATIONS.join(' | ')} (flip: mirror half of them, as tf.image.random_flip_left_right; flip-zoom: flip, then zoom in up to 1.25x at a random spot, as Keras's RandomZoom; default: flip-zoom for squeeze-90, none for the codelab's models, as its code does)`)
    .option('--out <dir>', 'the run folder: history, curves, profile, checkpoints, model (default: runs/<model>-<time>)')
    .option('--resume <dir>', 'continue the run in this folder from its last checkpoint (--epochs may raise the total)')
    .option('--save <dir>', 'also write the trained model (TensorFlow.js files) here')
    .option('--json', 'print JSON at the end instead of text')
    .action(async (o: TrainOpts, cmd: Command) => {
      const resuming = o.resume !== undefined;
      if (resuming && o.out !== undefined) throw new UsageError('--resume continues the run in its own folder: do not give --out');
      // everything the command line says is checked before anything is created or trained
      const resumed = resuming ? RunDir.open(o.resume!) : null;
      let settings = resumed ? resumed.settings() : settingsFrom(o);
      if (resumed && cmd.getOptionValueSource('epochs') === 'cli') settings = { ...settings, epochs: parsePositiveInt(o.epochs, '--epochs') };
      const threads = threadsFrom(o.threads, settings.cores);
      const saveTo = o.save === undefined ? undefined : checkSaveTarget(o.save);
      let backbone: Model | undefined;
      if (settings.backbone !== undefined) ({ backbone, settings } = await openBackbone(settings, !resuming && cmd.getOptionValueSource('imageSize') === 'cli'));
      checkTrainFits(settings, backbone && (() => transferModel(backbone, { seed: settings.seed })));
      const checkpoint = resumed ? resumed.latestCheckpoint() : null;
      const firstEpoch = checkpoint?.epoch ?? 0;
      // opened (and its size checked against the batch) before the run folder is created
      const data = await datasets(settings, firstEpoch);
      const run = resumed ?? RunDir.create(o.out ?? defaultRunDir(settings.model));
      // a checkpoint inside the fine-tuning phase restores into the fine-tuning optimizer
      const fineTuning = checkpoint !== null && checkpoint.epoch > settings.epochs;
      const m = build(settings, threads, backbone, fineTuning);
      if (checkpoint) await restoreCheckpoint(m, checkpoint);
      const globalBatch = settings.batchPerCore * settings.cores;
      run.writeSettings(settings, { params: m.countParams(), data: data.describe, classes: data.classes });
      const out = o.json ? process.stderr : process.stdout;
      const say = (line: string): void => void out.write(`${line}\n`);
      say(`${settings.model}: ${withCommas(m.countParams())} params, ${settings.imageSize} x ${settings.imageSize}, ${settings.cores} simulated core(s), global batch ${globalBatch} (${settings.batchPerCore} per core), ${settings.optimizer}${settings.lrDecay === undefined ? '' : ` (lr x ${settings.lrDecay} per epoch)`}, ${settings.precision} precision, ${settings.engine} engine, host threads ${threads}${augmentationOf(settings) === 'none' ? '' : `, augment ${settings.augment}`}`);
      say(`data: ${data.describe}`);
      say(`run folder: ${run.path}${checkpoint ? ` (resuming after epoch ${checkpoint.epoch})` : ''}`);
      if (firstEpoch === 0) await checkOutputUnits(m, data.validation, data.classes, settings, say);
      if (firstEpoch >= totalEpochs(settings)) say(`the run already has ${firstEpoch} epoch(s) of ${totalEpochs(settings)}: nothing to do`);
      let before = checkpoint?.history ?? EMPTY_HISTORY;
      let history = before;
      let profile: Profile | undefined;
      const progress = new TrainingProgress({ out, err: process.stderr });
      const stepsInEpoch = settings.stepsPerEpoch ?? (data.trainImages === undefined ? undefined : Math.floor(data.trainImages / globalBatch));
      const total = totalEpochs(settings);
      const fitEpochs = (from: number, to: number, what: string): Promise<History> =>
        m.fit(data.train, {
          epochs: to,
          initialEpoch: from,
          ...(settings.stepsPerEpoch ? { stepsPerEpoch: settings.stepsPerEpoch } : {}),
          validationData: data.validation,
          ...(settings.validationSteps ? { validationSteps: settings.validationSteps } : {}),
          profileStep: 1,
          callbacks: [
            {
              onEpochBegin: (e) => {
                progress.epochBegin(e, total, stepsInEpoch);
                if (e === from) progress.begin(`compiling the ${what} step for ${settings.cores} simulated core(s) (the first step)`);
              },
              onBatchEnd: (_step, logs) => progress.step(logs),
              onStepProfile: (_step, p) => void (profile = p),
              onEpochEnd: async (e, logs, h) => {
                history = concatHistory(before, h);
                progress.epochEnd(e, logs, history);
                run.write('history.json', `${JSON.stringify(history, null, 2)}\n`);
                run.write('curves.svg', trainingCurvesSvg(history, { model: settings.model }));
                if (profile) {
                  const input = { profile, cores: settings.cores, history, globalBatch, model: settings.model, step: 1 };
                  run.write('profile.md', profileReport(input));
                  run.write('profile.json', `${JSON.stringify(profileSummary(input), null, 2)}\n`);
                }
                run.saveCheckpoint(await checkpointOf(m, e + 1, history));
              },
            },
          ],
        });
      try {
        if (firstEpoch < settings.epochs) history = before = concatHistory(before, await fitEpochs(firstEpoch, settings.epochs, 'training'));
        if (Math.max(firstEpoch, settings.epochs) < total) {
          if (!fineTuning) {
            await m.trainer!.close();
            compileFor(m, settings, threads, true);
            say(`fine-tuning: the backbone unfrozen, ${withCommas(m.trainableWeights.reduce((a, w) => a + w.size, 0))} trainable params, learning rate ${settings.fineTuneLr ?? FINE_TUNE_LR}, epochs ${settings.epochs + 1} to ${total}`);
          }
          history = concatHistory(before, await fitEpochs(Math.max(firstEpoch, settings.epochs), total, 'fine-tuning'));
        }
      } finally {
        progress.close();
      }
      const modelDir = join(run.path, 'model');
      await saveModel(m, modelDir);
      run.write('model/classes.json', `${JSON.stringify(data.classes)}\n`);
      if (saveTo) await saveModel(m, saveTo);
      await m.trainer!.close();
      const report: TrainReport = { model: settings.model, params: m.countParams(), engine: settings.engine, cores: settings.cores, threads: m.trainer!.threadsUsed, globalBatch, data: data.describe, runDir: run.path, history, ...(saveTo ? { savedTo: saveTo } : {}) };
      if (o.json) emit(report, true, () => '');
      else say(`done: ${history.epoch.length} epoch(s), model in ${modelDir}${saveTo ? ` and ${saveTo}` : ''}`);
    });
}

/** A --save folder is checked before training: it must not exist, or be an empty folder, in a folder we can write. */
function checkSaveTarget(path: string): string {
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw new UsageError(`--save ${path}: exists and is not a folder`);
    if (readdirSync(path).length > 0) throw new UsageError(`--save ${path}: the folder is not empty`);
  }
  const parent = dirname(resolve(path));
  try {
    accessSync(existsSync(path) ? path : parent, constants.W_OK);
  } catch {
    throw new UsageError(`--save ${path}: cannot write there (${existsSync(parent) ? 'no permission' : `no folder ${parent}`})`);
  }
  return path;
}
