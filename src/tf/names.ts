/**
 * @module tf/names
 * What `model.compile` accepts, by TensorFlow.js's names: optimizers ('adam', 'Adam', 'sgd',
 * 'SGD', 'rmsprop', 'RMSProp', or `tf.train.adam(0.01)`), losses ('categoricalCrossentropy',
 * 'categorical_crossentropy', 'sparseCategoricalCrossentropy', ...) and metrics
 * ('accuracy' / 'acc', 'categoricalAccuracy', 'sparseCategoricalAccuracy'), each with the
 * key TF.js writes in the history ('acc' for 'accuracy', as tfjs-layers does). Names are
 * matched ignoring case and underscores; an unknown or unsupported one is a TfError naming
 * `model.compile` and the argument.
 *
 * `train`: tf.train's optimizer constructors with TF.js's positional arguments and defaults.
 * NOTE: Adam adds epsilon to sqrt(v) before TF.js's bias correction of v (Keras's form);
 * with epsilon 1e-7 the two differ by less than 1e-6 relative on gradients above 1e-3.
 *
 * Imports ../layers (optimizers, losses), ./errors.
 */
import { adam as kerasAdam, momentum as kerasMomentum, rmsprop as kerasRmsprop, sgd as kerasSgd, type Loss, type Optimizer } from '../layers/index.ts';
import { TfError } from './errors.ts';

/** The key of a name: lower case, without underscores ('Categorical_Crossentropy' -> 'categoricalcrossentropy'). */
const keyOf = (name: string): string => name.toLowerCase().replaceAll('_', '');

/** tf.train: optimizer constructors as TF.js's (positional arguments, TF.js defaults). */
export const train = {
  /** Plain SGD. @example tf.train.sgd(0.1) */
  sgd: (learningRate: number): Optimizer => kerasSgd({ learningRate }),
  /** SGD with momentum (Nesterov on request). */
  momentum: (learningRate: number, momentum: number, useNesterov = false): Optimizer => kerasMomentum({ learningRate, momentum, nesterov: useNesterov }),
  /** Adam (defaults 0.001, 0.9, 0.999, 1e-7). @example tf.train.adam(0.01) */
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7): Optimizer => kerasAdam({ learningRate, beta1, beta2, epsilon }),
  /** RMSprop (decay 0.9; momentum and centered are not supported). */
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false): Optimizer => {
    if (momentum !== 0) throw new TfError(`tf.train.rmsprop: momentum ${momentum} is not supported (tpusim's RMSprop has none)`);
    if (centered) throw new TfError('tf.train.rmsprop: centered is not supported');
    return kerasRmsprop({ learningRate, rho: decay, epsilon });
  },
};

/** Optimizers by name, TF.js's defaults (compile's string form). */
const OPTIMIZERS: Readonly<Record<string, () => Optimizer>> = {
  sgd: () => train.sgd(0.01),
  adam: () => train.adam(),
  rmsprop: () => train.rmsprop(0.001),
  momentum: () => train.momentum(0.01, 0.9),
};
/** TF.js optimizers tpusim does not have. */
const MISSING_OPTIMIZERS = ['adagrad', 'adadelta', 'adamax'];

/** compile's `optimizer`: a name (any case) or an optimizer object. */
export function optimizerOf(spec: unknown): Optimizer {
  if (typeof spec === 'string') {
    const make = OPTIMIZERS[keyOf(spec)];
    if (make) return make();
    const why = MISSING_OPTIMIZERS.includes(keyOf(spec)) ? 'is not supported' : 'is unknown';
    throw new TfError(`model.compile: optimizer '${spec}' ${why} (tpusim has sgd, momentum, adam, rmsprop, or tf.train.*)`);
  }
  const o = spec as Optimizer;
  if (typeof spec === 'object' && spec !== null && typeof o.update === 'function' && Array.isArray(o.slots)) return o;
  throw new TfError(`model.compile: optimizer must be a name like 'adam' or a tf.train optimizer, got ${String(spec)}`);
}

const LOSSES: Readonly<Record<string, Loss>> = {
  categoricalcrossentropy: { name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: false },
  sparsecategoricalcrossentropy: { name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: false },
};

/** compile's `loss`: a name (any case, camelCase or snake_case) or a tpusim loss. */
export function lossOf(spec: unknown): Loss {
  if (Array.isArray(spec)) {
    if (spec.length !== 1) throw new TfError(`model.compile: loss has ${spec.length} entries; tpusim models have one output`);
    return lossOf(spec[0]);
  }
  if (typeof spec === 'string') {
    const l = LOSSES[keyOf(spec)];
    if (l) return l;
    throw new TfError(`model.compile: loss '${spec}' is not supported (tpusim has categoricalCrossentropy, sparseCategoricalCrossentropy)`);
  }
  if (typeof spec === 'object' && spec !== null && typeof (spec as Loss).labels === 'string') return spec as Loss;
  const got = typeof spec === 'function' ? 'a function (custom losses are not supported)' : String(spec);
  throw new TfError(`model.compile: loss must be a name like 'categoricalCrossentropy', got ${got}`);
}

/** A metric: its history key and what it counts (argmax hits, or top-k hits). */
export interface Metric {
  /** The key in logs and history ('acc', 'categoricalAccuracy', 'topKCategoricalAccuracy', ...). */
  readonly key: string;
  /** k of a top-k accuracy; undefined for the argmax accuracies. */
  readonly k?: number;
}

/** A top-k accuracy with its k (the string names mean k = 5, as in Keras and TF.js). */
export interface TopKMetric {
  readonly topKCategoricalAccuracy: number;
}

const METRICS: Readonly<Record<string, Metric>> = {
  accuracy: { key: 'acc' },
  acc: { key: 'acc' },
  categoricalaccuracy: { key: 'categoricalAccuracy' },
  sparsecategoricalaccuracy: { key: 'sparseCategoricalAccuracy' },
  topkcategoricalaccuracy: { key: 'topKCategoricalAccuracy', k: 5 },
  sparsetopkcategoricalaccuracy: { key: 'sparseTopKCategoricalAccuracy', k: 5 },
};
const SPARSE_ONLY = ['sparseCategoricalAccuracy', 'sparseTopKCategoricalAccuracy'];
const ONEHOT_ONLY = ['categoricalAccuracy', 'topKCategoricalAccuracy'];

/** One metric of compile's `metrics` (`where` names it in errors). */
function metricOf(m: unknown, where: string, loss: Loss): Metric {
  if (typeof m === 'object' && m !== null && 'topKCategoricalAccuracy' in m) {
    const k = (m as TopKMetric).topKCategoricalAccuracy;
    if (!(Number.isSafeInteger(k) && k > 0)) throw new TfError(`model.compile: ${where} top-k needs a positive integer k, got ${String(k)}`);
    return { key: loss.labels === 'sparse' ? 'sparseTopKCategoricalAccuracy' : 'topKCategoricalAccuracy', k };
  }
  if (typeof m !== 'string') {
    const got = typeof m === 'function' ? 'a function (custom metrics are not supported)' : String(m);
    throw new TfError(`model.compile: ${where} must be a metric name like 'accuracy', got ${got}`);
  }
  const metric = METRICS[keyOf(m)];
  if (!metric) {
    const known = 'accuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy';
    throw new TfError(`model.compile: ${where} '${m}' is not supported (tpusim has ${known})`);
  }
  const sparse = loss.labels === 'sparse';
  if ((SPARSE_ONLY.includes(metric.key) && !sparse) || (ONEHOT_ONLY.includes(metric.key) && sparse)) {
    const labels = sparse ? 'class indices' : 'one-hot';
    throw new TfError(`model.compile: ${where} '${m}' does not fit loss '${loss.name}' (its labels are ${labels}); use 'accuracy'`);
  }
  return metric;
}

/** compile's `metrics`: a name, a list of names, or tpusim's top-k with its k (`tf.tpu.topK(3)`). */
export function metricsOf(spec: unknown, loss: Loss): Metric[] {
  if (spec === undefined) return [];
  const list = Array.isArray(spec) ? spec : [spec];
  const metrics = list.map((m, i) => metricOf(m, Array.isArray(spec) ? `metrics[${i}]` : 'metrics', loss));
  const ks = new Set(metrics.flatMap((m) => (m.k !== undefined ? [m.k] : [])));
  if (ks.size > 1) throw new TfError(`model.compile: metrics ask for top-k with k = ${[...ks].join(' and ')}; tpusim counts one k per model`);
  return metrics;
}
