/**
 * @module cli/train
 * `tpusim train --model PRESET --data synthetic|DIR ...`: trains a codelab model on the
 * flowers (the synthetic generator, or a folder of TFRecord shards / class folders) on
 * simulated TensorCores, printing per-epoch loss, accuracy, validation, simulated TPU time
 * and host time; `--json` prints the history; `--save DIR` writes the TensorFlow.js model.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { loadFlowers, synthFlowers, type Dataset, type Flower } from '../data/index.ts';
import { PRECISIONS, type Precision } from '../mxu/config.ts';
import {
  OPTIMIZERS,
  PRESET_NAMES,
  adam,
  interpreterEngine,
  momentum,
  preset,
  rmsprop,
  saveModel,
  sgd,
  tpuEngine,
  tpuStrategy,
  type BatchLike,
  type History,
  type Optimizer,
} from '../layers/index.ts';
import { parseChoice, parsePositiveInt, UsageError } from './errors.ts';
import { emit } from './output.ts';

interface TrainOpts {
  model: string;
  data: string;
  imageSize: string;
  batch: string;
  epochs: string;
  stepsPerEpoch?: string;
  validationSteps?: string;
  count: string;
  cores: string;
  threads: string;
  optimizer: string;
  lr?: string;
  precision: string;
  engine: string;
  seed: string;
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
  readonly history: History;
  readonly savedTo?: string;
}

function optimizerFrom(name: string, lr: number | undefined): Optimizer {
  const which = parseChoice(name, '--optimizer', Object.keys(OPTIMIZERS) as (keyof typeof OPTIMIZERS)[]);
  const args = lr !== undefined ? { learningRate: lr } : {};
  if (which === 'adam') return adam(args);
  if (which === 'rmsprop') return rmsprop(args);
  if (which === 'momentum') return momentum(args);
  if (which === 'nesterov') return momentum({ ...args, nesterov: true });
  return sgd(args);
}

async function datasets(o: TrainOpts, size: number, batch: number): Promise<{ train: Dataset<BatchLike>; validation: Dataset<BatchLike> }> {
  const seed = parsePositiveInt(o.seed, '--seed');
  const asBatches = (d: Dataset<Flower>, dropRemainder = true) => d.batch(batch, { dropRemainder }) as unknown as Dataset<BatchLike>;
  if (o.data === 'synthetic') {
    const count = parsePositiveInt(o.count, '--count');
    return {
      train: asBatches(synthFlowers({ count, size, seed }).shuffle(Math.min(count, 256), { seed }).cache()),
      validation: asBatches(synthFlowers({ count: Math.max(batch, Math.floor(count / 4)), size, seed: seed + 1000 }).cache(), false),
    };
  }
  const [train, validation] = await Promise.all([loadFlowers({ src: o.data, split: 'train', size, shuffleSeed: seed }), loadFlowers({ src: o.data, split: 'validation', size })]);
  return { train: asBatches(train.dataset.shuffle(256, { seed })), validation: asBatches(validation.dataset, false) };
}

function renderEpoch(h: History, e: number): string {
  const v = h.history.val_loss[e] !== undefined ? `  val_loss ${h.history.val_loss[e]!.toFixed(4)}  val_accuracy ${h.history.val_accuracy[e]!.toFixed(4)}` : '';
  return `epoch ${e + 1}: ${h.steps[e]} steps  loss ${h.history.loss[e]!.toFixed(4)}  accuracy ${h.history.accuracy[e]!.toFixed(4)}${v}  tpu ${(h.deviceSeconds[e]! * 1e3).toFixed(3)} ms  host ${h.hostSeconds[e]!.toFixed(2)} s`;
}

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

/** Adds the `train` command to the program. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a codelab model on the flowers on simulated TensorCores')
    .requiredOption('--model <preset>', `model: ${PRESET_NAMES.join(' | ')}`)
    .option('--data <src>', "'synthetic' or a flowers folder (TFRecord shards or class folders)", 'synthetic')
    .option('--image-size <pixels>', 'input height = width', '16')
    .option('--batch <n>', 'global batch size (split over the cores; activations live in HBM and stream through vector memory, so the codelab\'s 16 per core at 192 px fits)', '8')
    .option('--epochs <n>', 'epochs', '2')
    .option('--steps-per-epoch <n>', 'optimizer steps per epoch (default: one pass over the data)')
    .option('--validation-steps <n>', 'validation batches per epoch (default: one pass)')
    .option('--count <n>', 'synthetic images in the training set', '64')
    .option('--cores <n>', 'TensorCores (data parallel, all-reduced gradients)', '1')
    .option('--threads <n|auto>', `host threads simulating the cores: 1 = the main thread, N = N worker threads (at most --cores), auto = up to ${defaultThreadsHelp()} workers once a step proves long enough, if that many CPUs are idle; results are the same for any count`, 'auto')
    .option('--optimizer <name>', `optimizer: ${Object.keys(OPTIMIZERS).join(' | ')}`, 'adam')
    .option('--lr <rate>', 'learning rate (default: the optimizer\'s)')
    .option('--precision <p>', `matmul precision: ${PRECISIONS.join(' | ')}`, 'default')
    .option('--engine <e>', 'tpu (lowered programs on the simulated TensorCore) | interpreter (reference)', 'tpu')
    .option('--seed <n>', 'seed of weights, shuffling and synthetic data', '1')
    .option('--save <dir>', 'write the trained model as TensorFlow.js files')
    .option('--json', 'print JSON')
    .action(async (o: TrainOpts) => {
      const name = parseChoice(o.model, '--model', PRESET_NAMES);
      const size = parsePositiveInt(o.imageSize, '--image-size');
      const batch = parsePositiveInt(o.batch, '--batch');
      const cores = parsePositiveInt(o.cores, '--cores');
      if (batch % cores !== 0) throw new UsageError(`--batch ${batch} must be a multiple of --cores ${cores}`);
      const threads = threadsFrom(o.threads, cores);
      const lr = o.lr === undefined ? undefined : Number(o.lr);
      if (lr !== undefined && !(lr > 0)) throw new UsageError(`--lr must be a positive number, got '${o.lr}'`);
      const precision = parseChoice<Precision>(o.precision, '--precision', PRECISIONS);
      const engine = parseChoice(o.engine, '--engine', ['tpu', 'interpreter']);
      const m = preset(name, { imageSize: size, seed: parsePositiveInt(o.seed, '--seed') });
      m.compile({
        optimizer: optimizerFrom(o.optimizer, lr),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
        precision,
        strategy: tpuStrategy({ cores, threads }),
        engine: engine === 'tpu' ? tpuEngine() : interpreterEngine(),
      });
      const data = await datasets(o, size, batch);
      const history = await m.fit(data.train, {
        epochs: parsePositiveInt(o.epochs, '--epochs'),
        ...(o.stepsPerEpoch ? { stepsPerEpoch: parsePositiveInt(o.stepsPerEpoch, '--steps-per-epoch') } : {}),
        validationData: data.validation,
        ...(o.validationSteps ? { validationSteps: parsePositiveInt(o.validationSteps, '--validation-steps') } : {}),
        callbacks: o.json ? [] : [{ onEpochEnd: (e, _logs, h) => void process.stdout.write(`${renderEpoch(h, e)}\n`) }],
      });
      const savedTo = o.save ? (await saveModel(m, o.save), o.save) : undefined;
      const report: TrainReport = { model: name, params: m.countParams(), engine, cores, threads: m.trainer!.threadsUsed, globalBatch: batch, history, ...(savedTo ? { savedTo } : {}) };
      if (o.json) emit(report, true, () => '');
      else process.stdout.write(`${name}: ${report.params} params, ${cores} core(s) on ${report.threads} host thread(s), global batch ${batch}, engine ${engine}${savedTo ? `, saved to ${savedTo}` : ''}\n`);
    });
}
