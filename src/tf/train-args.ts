/**
 * @module tf/train-args
 * Checks and converts the arguments of fit, evaluate, predict and fitDataset: tensors against
 * the model's input and output shapes, TF.js's option names (an unknown one is refused),
 * the validation split (the last fraction of the examples, before shuffling, as TF.js),
 * seeded shuffling, and batch sizes that split evenly over the strategy's cores. Every
 * error names the call and the argument.
 *
 * Imports ../layers (model types, seeded random), ./tensor, ./fit, ./errors.
 */
import type { Model, Trainer } from '../layers/index.ts';
import type { BatchLike } from '../layers/batches.ts';
import { mixSeed, SeededRandom } from '../layers/random.ts';
import { TfError } from './errors.ts';
import { tensorBatches, type Batches } from './fit.ts';
import { Tensor } from './tensor.ts';

const shapeText = (s: readonly (number | null)[]): string => `[${s.map((d) => d ?? 'null').join(',')}]`;

/** Refuses option keys `call` does not know (TF.js's names are listed). */
export function checkKeys(call: string, args: unknown, known: readonly string[]): void {
  if (args === undefined) return;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new TfError(`${call}: args must be an object of options, got ${String(args)}`);
  for (const k of Object.keys(args)) {
    if (!known.includes(k)) throw new TfError(`${call}: unknown or unsupported option '${k}' (known: ${known.join(', ')})`);
  }
}

/** The one tensor of a single-input (or single-output) model's argument `arg`. */
function single(call: string, arg: string, t: unknown): Tensor {
  const kind = (v: unknown): string =>
    v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
  if (Array.isArray(t) && !t.every((e) => e instanceof Tensor)) {
    throw new TfError(`${call}: ${arg} must be a tensor (tf.tensor, tf.tensor2d, ...), got an array of ${kind(t.find((e) => !(e instanceof Tensor)))}s`);
  }
  const v = Array.isArray(t) ? (t.length === 1 ? t[0] : undefined) : t;
  if (Array.isArray(t) && t.length !== 1) throw new TfError(`${call}: ${arg} has ${t.length} tensors; tpusim models have one input and one output`);
  if (!(v instanceof Tensor)) throw new TfError(`${call}: ${arg} must be a tensor (tf.tensor, tf.tensor2d, ...), got ${kind(v)}`);
  return v;
}

/** x as the model's input: [N, ...input]; returns it and N. */
export function examples(call: string, arg: string, model: Model, x: unknown): [Tensor, number] {
  const t = single(call, arg, x);
  const want = model.inputShape;
  if (t.rank !== want.length || t.shape.some((d, i) => i > 0 && d !== want[i])) {
    throw new TfError(`${call}: ${arg} has shape ${shapeText(t.shape)}, the model's input is ${shapeText(want)}`);
  }
  return [t, t.shape[0]!];
}

/** Labels y for N examples: one-hot [N, classes], or class indices [N] / [N, 1]. */
function labels(call: string, arg: string, model: Model, trainer: Trainer, y: unknown, n: number): Tensor {
  const t = single(call, arg, y);
  const classes = model.outputShape[model.outputShape.length - 1] as number;
  const sparse = t.size === n;
  const onehot = t.rank === 2 && t.shape[1] === classes && trainer.loss.labels === 'onehot';
  if (t.shape[0] !== n || !(sparse || onehot)) {
    const need = trainer.loss.labels === 'onehot' ? `[${n},${classes}] (one-hot) or [${n}] (class indices)` : `[${n}] (class indices)`;
    throw new TfError(`${call}: ${arg} has shape ${shapeText(t.shape)}; loss '${trainer.loss.name}' with ${n} examples needs ${need}`);
  }
  if (sparse && !onehot) {
    const v = t.buffer(call);
    const bad = v.findIndex((c) => !(Number.isInteger(c) && c >= 0 && c < classes));
    if (bad >= 0) throw new TfError(`${call}: ${arg}[${bad}] = ${v[bad]} is not a class index in [0, ${classes})`);
  }
  return t;
}

/** A permutation of 0..n-1 from the model's seed and the epoch (Fisher-Yates). */
function shuffled(n: number, seed: number, epoch: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const r = new SeededRandom(mixSeed(seed, epoch, 0x5f));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** What fit needs from tensors: the batches of each epoch and of validation. */
export interface TensorFitData {
  readonly samples: number;
  readonly steps: number;
  readonly batchSize: number;
  train(epoch: number): Batches;
  readonly validation: (() => Batches) | undefined;
}

/** Options tensorFitData reads. */
interface Args {
  readonly batchSize?: number;
  readonly shuffle?: boolean | 'batch';
  readonly validationSplit?: number;
  readonly validationData?: readonly [Tensor, Tensor];
}

/** fit's (or evaluate's) tensors and options, checked, as batches. */
export function tensorFitData(model: Model, trainer: Trainer, x: unknown, y: unknown, args: Args, call = 'model.fit'): TensorFitData {
  const [xt, n] = examples(call, 'x', model, x);
  const yt = labels(call, 'y', model, trainer, y, n);
  const batchSize = args.batchSize ?? 32;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new TfError(`${call}: batchSize must be a positive integer, got ${String(args.batchSize)}`);
  const vs = args.validationSplit;
  if (vs !== undefined && !(vs > 0 && vs < 1)) throw new TfError(`${call}: validationSplit must be in (0, 1), got ${vs}`);
  if (vs !== undefined && args.validationData !== undefined) throw new TfError(`${call}: give validationSplit or validationData, not both`);
  const nTrain = vs !== undefined ? Math.floor(n * (1 - vs)) : n;
  if (nTrain < 1 || (vs !== undefined && nTrain === n)) {
    throw new TfError(`${call}: validationSplit ${vs} of ${n} examples leaves ${nTrain} to train on and ${n - nTrain} to validate`);
  }
  const xb = xt.buffer(call);
  const d = { x: xb instanceof Float32Array ? xb : Float32Array.from(xb), y: Float32Array.from(yt.buffer(call)), perX: xt.size / n, perY: yt.size / n };
  checkSplit(call, trainer, nTrain, batchSize);
  const shuffle = args.shuffle ?? true;
  const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  let validation: (() => Batches) | undefined;
  if (vs !== undefined) validation = () => tensorBatches(d, range(nTrain, n), batchSize);
  else if (args.validationData !== undefined) {
    const v = args.validationData;
    if (!Array.isArray(v) || v.length !== 2) throw new TfError(`${call}: validationData must be [xVal, yVal] (sample weights are not supported)`);
    validation = tensorFitData(model, trainer, v[0], v[1], { batchSize, shuffle: false }, `${call} validationData`).train.bind(null, 0);
  }
  return {
    samples: nTrain,
    steps: Math.ceil(nTrain / batchSize),
    batchSize,
    train: (epoch) => tensorBatches(d, shuffle ? shuffled(nTrain, model.seed, epoch) : range(0, nTrain), batchSize),
    validation,
  };
}

/** Every training batch must split evenly over the strategy's cores. */
function checkSplit(call: string, trainer: Trainer, n: number, batchSize: number): void {
  const cores = trainer.strategy.replicas;
  if (cores === 1) return;
  const sizes = [Math.min(n, batchSize), n % batchSize].filter((s) => s > 0);
  const bad = sizes.find((s) => s % cores !== 0);
  if (bad !== undefined) {
    const advice = `use a batchSize and an example count that are multiples of ${cores}`;
    throw new TfError(`${call}: batchSize ${batchSize} with ${n} training examples gives a batch of ${bad}, which does not split over ${cores} cores (tf.tpu.strategy); ${advice}`);
  }
}

/** A value of a dataset element: a tensor's values, or the array itself. */
function values(call: string, where: string, v: unknown): ArrayLike<number> {
  if (v instanceof Tensor) return v.buffer(call);
  if (Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof Tensor)) {
    // a batch of elements that held tensors (Dataset.batch keeps them as a list): stack them
    const parts = v.map((t: Tensor) => t.buffer(call));
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  }
  if (ArrayBuffer.isView(v) || Array.isArray(v)) return v as unknown as ArrayLike<number>;
  throw new TfError(`${call}: ${where} must be a tensor or an array of numbers, got ${typeof v}`);
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** A dataset's elements ({xs, ys} or [xs, ys], tensors or arrays; or a flowers {image, label}) as batches. */
export async function* datasetBatches(call: string, arg: string, ds: AsyncIterable<unknown> | Iterable<unknown>): AsyncGenerator<BatchLike> {
  if (typeof ds !== 'object' || ds === null || !(Symbol.asyncIterator in ds || Symbol.iterator in ds)) {
    throw new TfError(`${call}: ${arg} must be a dataset (an iterable of {xs, ys} batches), got ${String(ds)}`);
  }
  let i = 0;
  for await (const e of ds as AsyncIterable<unknown>) {
    const where = `${arg} element ${i++}`;
    if (Array.isArray(e) && e.length === 2) yield { xs: values(call, `${where}[0]`, e[0]), ys: values(call, `${where}[1]`, e[1]) };
    else if (isObject(e) && 'xs' in e && 'ys' in e) yield { xs: values(call, `${where}.xs`, e.xs), ys: values(call, `${where}.ys`, e.ys) };
    else if (isObject(e) && 'image' in e && 'label' in e) yield e as BatchLike;
    else throw new TfError(`${call}: ${where} is not an {xs, ys} batch (got ${isObject(e) ? `keys ${Object.keys(e).join(', ')}` : typeof e})`);
  }
}
