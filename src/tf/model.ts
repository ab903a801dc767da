/**
 * @module tf/model
 * TensorFlow.js's `LayersModel` and `Sequential` over a tpusim model (../layers Model): the
 * methods a training script calls — compile, fit, fitDataset, evaluate, evaluateDataset,
 * predict, getWeights/setWeights, summary, save — with TF.js's argument forms (tensors in,
 * tensors out) and names. The math runs on the simulated TPU through the model's Trainer.
 * Weight lists are in TF.js's order: trainable weights, then non-trainable ones (batch
 * norm's moving statistics). `Sequential` is ./sequential.ts.
 *
 * Imports ../layers, ./tensor, ./fit, ./callbacks, ./names, ./tpu, ./train-args, ./errors.
 */
import { saveModel, type Layer, type Model, type SymbolicTensor, type Trainer } from '../layers/index.ts';
import { stat } from 'node:fs/promises';
import { callbackList, progressLogger, type CustomCallbackArgs, type History } from './callbacks.ts';
import { TfError } from './errors.ts';
import { evaluateBatches, fitLoop, metricValue, type Batches } from './fit.ts';
import { lossOf, metricsOf, optimizerOf, type Metric, type TopKMetric } from './names.ts';
import { Tensor } from './tensor.ts';
import { getDefaults, precisionOf } from './tpu.ts';
import { checkKeys, datasetBatches, examples, tensorFitData } from './train-args.ts';
import type { Engine, Strategy } from '../layers/index.ts';
import type { Precision } from '../mxu/config.ts';

/** Options of `compile`: TF.js's, plus tpusim's explicit TPU options. */
export interface ModelCompileArgs {
  readonly optimizer: string | object;
  readonly loss: string | object | readonly (string | object)[];
  /** Names ('accuracy', 'categoricalAccuracy', ...) or tf.tpu.topK(k). */
  readonly metrics?: string | TopKMetric | readonly (string | TopKMetric)[];
  /** tpusim: matmul precision ('default' one bf16 pass, 'high' bf16x3, 'highest' bf16x6). */
  readonly precision?: Precision;
  /** tpusim: data parallelism, e.g. tf.tpu.strategy({cores: 8}). */
  readonly strategy?: Strategy;
  /** tpusim: the simulated TPU (default) or the reference interpreter. */
  readonly engine?: Engine;
}

/** Options of `fit`, TF.js's names. */
export interface ModelFitArgs {
  readonly batchSize?: number;
  readonly epochs?: number;
  /** 0: silent; 1 (default): a line per epoch, as tfjs-node prints. */
  readonly verbose?: number;
  readonly callbacks?: CustomCallbackArgs | readonly CustomCallbackArgs[];
  /** The last fraction of x and y held out for validation (taken before shuffling). */
  readonly validationSplit?: number;
  readonly validationData?: readonly [Tensor, Tensor];
  /** Shuffle the training examples every epoch (default true; seeded by the model seed and epoch). */
  readonly shuffle?: boolean | 'batch';
  readonly initialEpoch?: number;
  readonly yieldEvery?: unknown;
}

/** Options of `fitDataset`, TF.js's names. */
export interface ModelFitDatasetArgs {
  readonly epochs: number;
  readonly batchesPerEpoch?: number;
  readonly verbose?: number;
  readonly callbacks?: CustomCallbackArgs | readonly CustomCallbackArgs[];
  /** A dataset of {xs, ys} batches, or [x, y] tensors. */
  readonly validationData?: DatasetLike | readonly [Tensor, Tensor];
  readonly validationBatches?: number;
  readonly initialEpoch?: number;
  readonly yieldEvery?: unknown;
}

/**
 * What fitDataset takes: any (async) iterable of batches ({xs, ys} or [xs, ys] of tensors,
 * typed arrays or lists of tensors; a flowers {image, label}), checked as it is read.
 */
export type DatasetLike = AsyncIterable<unknown> | Iterable<unknown>;

/** The options fit and fitDataset share. */
interface FitCommon {
  readonly epochs?: number;
  readonly initialEpoch?: number;
  readonly verbose?: number;
  readonly callbacks?: unknown;
  readonly batchesPerEpoch?: number;
  readonly validationBatches?: number;
}

/** What fit knows of its data's size (TF.js's params). */
type Sizes = { readonly samples: number | null; readonly steps: number | null; readonly batchSize: number | null };

/** The batches of fit or fitDataset. */
interface FitData {
  readonly train: (epoch: number) => Batches;
  readonly validation: (() => Batches) | undefined;
  readonly sizes: Sizes;
}

/** Example-weighted sums of an evaluation. */
type Mean = { readonly loss: number; readonly correct: number; readonly topK: number; readonly seen: number };

/** What `save` returns (TF.js's SaveResult). */
export interface SaveResult {
  readonly modelArtifactsInfo: { dateSaved: Date; modelTopologyType: 'JSON'; modelTopologyBytes: number; weightDataBytes: number };
}

/** A trained-or-not model with TensorFlow.js's methods. */
export class LayersModel {
  /** Set true (by a callback) to stop fit after the current batch. */
  stopTraining = false;
  /** The tpusim model (a Sequential makes a new one at every add). */
  protected inner: Model | undefined;
  /** The last compile's arguments (a Sequential compiles again after an add). */
  protected compiledWith: ModelCompileArgs | undefined;
  private metrics: Metric[] = [];

  constructor(model?: Model) {
    this.inner = model;
  }

  /** The tpusim model underneath (../layers Model). */
  get model(): Model {
    if (!this.inner) throw new TfError('model: the sequential model has no layers yet; add() one with an inputShape');
    return this.inner;
  }
  get name(): string {
    return this.model.name;
  }
  /** The layers, TF.js's list (a functional model's input layers included). */
  get layers(): Layer[] {
    return [...this.model.layers];
  }
  get inputs(): SymbolicTensor[] {
    return [...this.model.inputs];
  }
  get outputs(): SymbolicTensor[] {
    return [...this.model.outputs];
  }
  /** Whether compile() has run. */
  get trainer(): Trainer | undefined {
    return this.model.trainer;
  }

  /** A layer by name or by index in `layers`. */
  getLayer(name?: string, index?: number): Layer {
    if (name !== undefined) return this.model.getLayer(name);
    const l = index !== undefined ? this.layers[index] : undefined;
    if (!l) throw new TfError(`model.getLayer: no layer at index ${String(index)} (the model has ${this.layers.length})`);
    return l;
  }

  /** Total parameters. */
  countParams(): number {
    return this.model.countParams();
  }

  /** Prints Keras's summary table, one line at a time through `printFn` (default console.log). */
  summary(_lineLength?: number, _positions?: number[], printFn: (line: string) => void = (l) => console.log(l)): void {
    for (const line of this.model.summary(null).split('\n')) printFn(line);
  }

  /**
   * Chooses optimizer, loss and metrics by TF.js's names; TPU options stay explicit.
   * @example model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'], strategy: tf.tpu.strategy({ cores: 8 }) })
   */
  compile(args: ModelCompileArgs): void {
    checkKeys('model.compile', args, ['optimizer', 'loss', 'metrics', 'precision', 'strategy', 'engine']);
    const d = getDefaults();
    const loss = lossOf(args.loss);
    this.metrics = metricsOf(args.metrics, loss);
    const precision = precisionOf('model.compile', args.precision) ?? d.precision;
    const strategy = args.strategy ?? d.strategy;
    const engine = args.engine ?? d.engine;
    const k = this.metrics.find((m) => m.k !== undefined)?.k;
    this.model.compile({
      ...(k !== undefined ? { topK: k } : {}),
      optimizer: optimizerOf(args.optimizer),
      loss,
      ...(precision ? { precision } : {}),
      ...(strategy ? { strategy } : {}),
      ...(engine ? { engine } : {}),
    });
    this.compiledWith = args;
  }

  private compiled(call: string): Trainer {
    const t = this.model.trainer;
    if (!t) throw new TfError(`${call}: compile() the model first`);
    return t;
  }

  /**
   * Trains on tensors x [N, ...input] and y [N, classes] (or [N] class indices for a sparse
   * loss). @example const h = await model.fit(xs, ys, { batchSize: 32, epochs: 5, validationSplit: 0.2 })
   */
  async fit(x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[], args: ModelFitArgs = {}): Promise<History> {
    const call = 'model.fit';
    const trainer = this.compiled(call);
    checkKeys(call, args, ['batchSize', 'epochs', 'verbose', 'callbacks', 'validationSplit', 'validationData', 'shuffle', 'initialEpoch', 'yieldEvery']);
    const data = tensorFitData(this.model, trainer, x, y, args);
    const sizes = { samples: data.samples, steps: data.steps, batchSize: data.batchSize };
    return this.run(call, trainer, args, { train: data.train, validation: data.validation, sizes });
  }

  /** Trains on a dataset of {xs, ys} batches (tpusim's data.Dataset or any async iterable). */
  async fitDataset(dataset: DatasetLike, args: ModelFitDatasetArgs): Promise<History> {
    const call = 'model.fitDataset';
    const trainer = this.compiled(call);
    const known = ['epochs', 'batchesPerEpoch', 'verbose', 'callbacks', 'validationData', 'validationBatches', 'initialEpoch', 'yieldEvery'];
    checkKeys(call, args, known);
    const v = args.validationData;
    let validation: (() => Batches) | undefined;
    if (Array.isArray(v) && v.every((t) => t instanceof Tensor)) {
      validation = tensorFitData(this.model, trainer, v[0], v[1], { shuffle: false }, `${call} validationData`).train.bind(null, 0);
    }
    else if (v !== undefined) validation = () => datasetBatches(call, 'validationData', v as DatasetLike);
    const sizes = { samples: null, steps: args.batchesPerEpoch ?? null, batchSize: null };
    return this.run(call, trainer, args, { train: () => datasetBatches(call, 'dataset', dataset), validation, sizes });
  }

  /** The epochs of fit or fitDataset, after the device work already asked for. */
  private run(call: string, trainer: Trainer, args: FitCommon, data: FitData): Promise<History> {
    const epochs = args.epochs ?? 1;
    const initialEpoch = args.initialEpoch ?? 0;
    if (!Number.isSafeInteger(epochs) || epochs < 1) throw new TfError(`${call}: epochs must be a positive integer, got ${String(args.epochs)}`);
    if (!Number.isSafeInteger(initialEpoch) || initialEpoch < 0) throw new TfError(`${call}: initialEpoch must be a non-negative integer, got ${initialEpoch}`);
    const list = callbackList(call, args.callbacks);
    const verbose = args.verbose ?? 1;
    const callbacks = verbose > 0 ? [progressLogger(), ...list] : list;
    const doValidation = data.validation !== undefined;
    const keys = ['loss', ...this.metrics.map((m) => m.key)];
    const params = { epochs, initialEpoch, ...data.sizes, verbose, doValidation, metrics: doValidation ? [...keys, ...keys.map((k) => `val_${k}`)] : keys };
    const limits = {
      ...(args.batchesPerEpoch !== undefined ? { batchesPerEpoch: args.batchesPerEpoch } : {}),
      ...(args.validationBatches !== undefined ? { validationBatches: args.validationBatches } : {}),
    };
    const spec = { model: this.model, trainer, metrics: this.metrics, owner: this, epochs, initialEpoch, callbacks, params, train: data.train, ...limits };
    return this.enqueue(() => fitLoop({ ...spec, ...(data.validation ? { validation: data.validation } : {}) })).catch((err: unknown) => {
      throw namedFor(call, err);
    });
  }

  /** Device work in call order: predict and evaluate return before it runs, fit waits for it. */
  private queue: Promise<unknown> = Promise.resolve();
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Scalars [loss, ...metrics] (or the loss alone without metrics) of a pending evaluation. */
  private results(mean: Promise<Mean> | Mean): Tensor | Tensor[] {
    const value = (f: (m: Mean) => number): Tensor =>
      new Tensor(mean instanceof Promise ? mean.then((m) => Float32Array.of(f(m))) : Float32Array.of(f(mean)), [], 'float32');
    const loss = value((m) => m.loss / m.seen);
    if (this.metrics.length === 0) return loss;
    return [loss, ...this.metrics.map((metric) => value((m) => metricValue(metric, m.correct, m.topK, m.seen)))];
  }

  /**
   * Loss (and metrics) on tensors, inference mode: a scalar, or [loss, ...metrics] with
   * metrics. As in TF.js it returns at once; the scalars' `data()` waits for the device.
   * @example const [loss, acc] = model.evaluate(xs, ys) as tf.Tensor[]; console.log(await loss.data())
   */
  evaluate(x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[], args: { batchSize?: number; verbose?: number } = {}): Tensor | Tensor[] {
    const trainer = this.compiled('model.evaluate');
    checkKeys('model.evaluate', args, ['batchSize', 'verbose', 'steps']);
    const options = { shuffle: false, ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}) };
    const data = tensorFitData(this.model, trainer, x, y, options, 'model.evaluate');
    return this.results(this.enqueue(async () => (await evaluateBatches(this.model, trainer, data.train(0))).mean));
  }

  /** Loss (and metrics) over a dataset of {xs, ys} batches (`batches` of them, default all). */
  async evaluateDataset(dataset: DatasetLike, args: { batches?: number; verbose?: number } = {}): Promise<Tensor | Tensor[]> {
    const trainer = this.compiled('model.evaluateDataset');
    const batches = datasetBatches('model.evaluateDataset', 'dataset', dataset);
    const mean = await this.enqueue(async () => (await evaluateBatches(this.model, trainer, batches, args.batches)).mean);
    return this.results(mean);
  }

  /**
   * Outputs for x [N, ...input], as a tensor [N, ...output], on the compiled model's device
   * (uncompiled: one core at tf.tpu's default precision). As in TF.js it returns at once
   * with the shape; `await y.data()` (or `y.array()`) waits for the simulated TPU.
   * @example const probs = await model.predict(tf.tensor2d(rows, [n, 4])).data()
   */
  predict(x: Tensor | readonly Tensor[], args: { batchSize?: number; verbose?: boolean | number } = {}): Tensor {
    checkKeys('model.predict', args, ['batchSize', 'verbose']);
    const [xs, n] = examples('model.predict', 'x', this.model, x);
    const values = xs.buffer('model.predict'); // read now: the caller may dispose x
    const precision = this.model.trainer ? undefined : getDefaults().precision;
    const options = { ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}), ...(precision ? { precision } : {}) };
    const out = this.enqueue(() => this.model.predict(values, options));
    return new Tensor(out, [n, ...(this.model.outputShape.slice(1) as number[])], 'float32');
  }

  /** `predict` on one batch. */
  predictOnBatch(x: Tensor | readonly Tensor[]): Tensor {
    return this.predict(x, { batchSize: (Array.isArray(x) ? x[0] : (x as Tensor))?.shape[0] ?? 1 });
  }

  private orderedWeights() {
    return [...this.model.trainableWeights, ...this.model.nonTrainableWeights];
  }

  /** Copies of the weights: trainable ones, then non-trainable (TF.js's order). */
  getWeights(): Tensor[] {
    return this.orderedWeights().map((w) => new Tensor(w.value!.slice(), w.shape, 'float32'));
  }

  /** Sets every weight (TF.js's order, shapes checked); the device takes them at the next step. */
  setWeights(weights: readonly Tensor[]): void {
    const own = this.orderedWeights();
    if (!Array.isArray(weights) || weights.length !== own.length) {
      throw new TfError(`model.setWeights: got ${Array.isArray(weights) ? weights.length : String(weights)} weights, the model has ${own.length}`);
    }
    weights.forEach((t, i) => {
      const w = own[i]!;
      if (!(t instanceof Tensor)) throw new TfError(`model.setWeights: weights[${i}] is not a tensor`);
      if (t.shape.join(',') !== w.shape.join(',')) {
        throw new TfError(`model.setWeights: weights[${i}] has shape [${t.shape.join(',')}], weight '${w.fullName}' needs [${w.shape.join(',')}]`);
      }
    });
    weights.forEach((t, i) => (own[i]!.value = Float32Array.from(t.buffer('model.setWeights'))));
    void this.model.trainer?.resetState();
  }

  /**
   * Saves model.json and its weights file (TF.js's format, atomically) to a folder.
   * @example await model.save('file://out/my-model')
   */
  async save(handlerOrURL: string): Promise<SaveResult> {
    const dir = fileUrlPath('model.save', 'handlerOrURL', handlerOrURL);
    const paths = await saveModel(this.model, dir.endsWith('model.json') ? dir.slice(0, -'model.json'.length) || '.' : dir);
    const [json, weights] = await Promise.all([stat(paths.json), stat(paths.weights)]);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: json.size, weightDataBytes: weights.size } };
  }

  /** Stops the device's host threads (TF.js frees the weights). */
  async dispose(): Promise<void> {
    await this.model.trainer?.close();
  }
}

/**
 * An error a layers-level check raised during `call` (a label out of range in a dataset, a
 * batch that does not split over the cores, a NaN loss), with the call in front of its
 * message; its class is kept (a NaNLossError stays one). Other errors pass unchanged.
 */
function namedFor(call: string, err: unknown): unknown {
  if (err instanceof Error && (err as { userFacing?: unknown }).userFacing === true && !err.message.startsWith(`${call}`)) {
    err.message = `${call}: ${err.message}`;
  }
  return err;
}

/** The path of a 'file://' URL for `call`'s `arg`; other schemes are refused. */
export function fileUrlPath(call: string, arg: string, url: unknown): string {
  if (typeof url !== 'string') throw new TfError(`${call}: ${arg} must be a 'file://' URL string, got ${typeof url}`);
  const m = /^([a-z-]+):\/\//i.exec(url);
  if (m && m[1]!.toLowerCase() !== 'file') throw new TfError(`${call}: ${arg} '${url}' is not supported (tpusim reads and writes 'file://' paths)`);
  const path = m ? url.slice(m[0].length) : url;
  if (path === '') throw new TfError(`${call}: ${arg} '${url}' has no path`);
  return path;
}
