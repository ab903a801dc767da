/**
 * @module layers/model
 * Models as graphs of layers: the functional style (`input`, `layer.apply`, `model`) and
 * `sequential([...])`, which is the same graph in a line. A model knows its layers in
 * topological order, owns their seeded initialisation, and emits its forward pass as HLO
 * (`emitForward`). Training lives in ./training.ts, summaries in ./summary.ts.
 *
 * Imports xla (builder types), ./layer, ./core, ./shape, ./errors, ./random.
 *
 * Invariants: every layer of the graph is built (weights declared) when the model exists;
 * every weight has a value after `initialize` (called by the constructor with the seed).
 */
import type { Op } from '../xla/index.ts';
import { input, InputLayer } from './core.ts';
import { LayerConfigError, LayerShapeError, WeightsTooLargeError } from './errors.ts';
import { Layer, type CallContext, type LayerWeight, type Node, type SymbolicTensor } from './layer.ts';
import { mixSeed, SeededRandom } from './random.ts';
import type { LayerShape } from './shape.ts';
import { renderSummary, summarize } from './summary.ts';
import type { Precision } from '../mxu/config.ts';
import type { BatchLike } from './batches.ts';
import { runEvaluate, runFit } from './fit.ts';
import { Trainer, type CompileArgs, type FitArgs, type History } from './training.ts';

/** Options of `model`. */
export interface ModelArgs {
  readonly inputs: SymbolicTensor | readonly SymbolicTensor[];
  readonly outputs: SymbolicTensor | readonly SymbolicTensor[];
  readonly name?: string;
  /** Seed of the weight initialisers (default 1): same seed, same initial bits. */
  readonly seed?: number;
  /**
   * Refuse (LayerConfigError, before any weight is allocated) a model whose weights take
   * more bytes than this as f32. A weight of more values than one typed array holds (2^32)
   * is always refused.
   */
  readonly maxWeightBytes?: number;
}

let modelCounter = 0;

/** Most values one typed array holds (V8). */
const MAX_ARRAY_VALUES = 2 ** 32;

/** Checks, from shapes alone, that the layers' weights can be allocated (see ModelArgs.maxWeightBytes). */
function checkWeightsFit(name: string, layers: readonly Layer[], maxBytes = Infinity): void {
  const weights = layers.flatMap((l) => l.weights);
  const params = weights.reduce((a, w) => a + w.size, 0);
  if (4 * params > maxBytes) throw new WeightsTooLargeError(name, params, maxBytes);
  const huge = weights.find((w) => w.size > MAX_ARRAY_VALUES);
  if (huge) throw new LayerConfigError(`model '${name}': weight '${huge.name}' [${huge.shape.join(', ')}] has ${huge.size.toExponential(3)} values: more than one array holds (2^32)`);
}

/** Nodes reachable backwards from `outputs`, in topological order (inputs first). */
function topoNodes(outputs: readonly SymbolicTensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const visit = (t: SymbolicTensor): void => {
    if (seen.has(t.node)) return;
    seen.add(t.node);
    for (const i of t.node.inputs) visit(i);
    order.push(t.node);
  };
  outputs.forEach(visit);
  return order;
}

/** A Keras model: a graph of layers from inputs to outputs. */
export class Model {
  readonly name: string;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Nodes in topological order (input nodes included). */
  readonly nodes: readonly Node[];
  /** Distinct layers in first-use order (input layers included). */
  readonly layers: readonly Layer[];
  /** 'sequential' models print without input layers and without a "Connected to" column. */
  readonly kind: 'functional' | 'sequential';
  readonly seed: number;

  constructor(args: ModelArgs, kind: 'functional' | 'sequential' = 'functional') {
    this.name = args.name ?? (modelCounter++ === 0 ? 'model' : `model_${modelCounter - 1}`);
    this.inputs = Array.isArray(args.inputs) ? (args.inputs as SymbolicTensor[]) : [args.inputs as SymbolicTensor];
    this.outputs = Array.isArray(args.outputs) ? (args.outputs as SymbolicTensor[]) : [args.outputs as SymbolicTensor];
    this.kind = kind;
    this.seed = args.seed ?? 1;
    this.nodes = topoNodes(this.outputs);
    for (const n of this.nodes) {
      if (n.layer instanceof InputLayer && !this.inputs.includes(n.output)) {
        throw new LayerConfigError(`model '${this.name}': input '${n.layer.name}' is used by the outputs but not listed in inputs`);
      }
    }
    const layers: Layer[] = [];
    for (const n of this.nodes) if (!layers.includes(n.layer)) layers.push(n.layer);
    this.layers = layers;
    checkWeightsFit(this.name, layers, args.maxWeightBytes);
    this.initialize(this.seed);
  }

  /** Gives every weight without a value its seeded initial value (Keras defaults). */
  initialize(seed: number): void {
    this.layers.forEach((layer, li) =>
      layer.weights.forEach((w, wi) => {
        if (w.value) return;
        w.value = w.initializer(w.shape, new SeededRandom(mixSeed(seed, li, wi)));
      }),
    );
  }

  /** All weights in layer order (each once). */
  get weights(): readonly LayerWeight[] {
    return this.layers.flatMap((l) => l.weights);
  }

  /** Weights the optimizer updates (trainable layers, trainable kind). */
  get trainableWeights(): readonly LayerWeight[] {
    return this.weights.filter((w) => w.trainable);
  }

  /** Every other weight: frozen layers' weights and batch norm's moving statistics. */
  get nonTrainableWeights(): readonly LayerWeight[] {
    return this.weights.filter((w) => !w.trainable);
  }

  /** Total parameters, as Keras counts them (trainable + non-trainable). */
  countParams(): number {
    return this.weights.reduce((a, w) => a + w.size, 0);
  }

  /** The model's input shape (the first input), batch null. */
  get inputShape(): LayerShape {
    return this.inputs[0]!.shape;
  }

  /** The model's output shape (the first output), batch null. */
  get outputShape(): LayerShape {
    return this.outputs[0]!.shape;
  }

  /** Finds a layer by name. */
  getLayer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new LayerConfigError(`model '${this.name}' has no layer '${name}'; layers: ${this.layers.map((x) => x.name).join(', ')}`);
    return l;
  }

  /**
   * Keras's summary table (layers, output shapes, parameter counts, totals). Prints it
   * with `print` (default: stdout; pass null to only return it) and returns the text.
   */
  summary(print: ((text: string) => void) | null = (t) => process.stdout.write(`${t}\n`)): string {
    const text = renderSummary(summarize(this));
    print?.(text);
    return text;
  }

  /** Prediction-only compiled states per precision (for models never compiled). */
  private readonly predictors = new Map<Precision, Trainer>();

  /** The compiled state (optimizer, loss, step cache); undefined before `compile`. */
  trainer: Trainer | undefined = undefined;

  /**
   * Chooses the optimizer, loss, metrics, precision and strategy (Keras's compile).
   * @example m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
   */
  compile(args: CompileArgs): void {
    this.trainer = new Trainer(this, args);
  }

  private compiled(what: string): Trainer {
    if (!this.trainer) throw new LayerConfigError(`model '${this.name}': call compile() before ${what}()`);
    return this.trainer;
  }

  /** Trains on a dataset of batches; returns the per-epoch history. */
  fit(data: AsyncIterable<BatchLike> | Iterable<BatchLike>, args: FitArgs = {}): Promise<History> {
    return runFit(this, this.compiled('fit'), data, args);
  }

  /** Mean loss and accuracy over a dataset (`steps` batches, default one pass). */
  async evaluate(data: AsyncIterable<BatchLike> | Iterable<BatchLike>, args: { steps?: number } = {}): Promise<{ loss: number; accuracy: number }> {
    const r = await runEvaluate(this, this.compiled('evaluate'), data, args.steps);
    return { loss: r.loss, accuracy: r.accuracy };
  }

  /**
   * Outputs for inputs x [N, ...input] (row-major), in batches of `batchSize` (default 32), on
   * the compiled model's device (or, uncompiled or at another precision, on one core).
   */
  async predict(x: ArrayLike<number>, args: { batchSize?: number; precision?: Precision } = {}): Promise<Float32Array> {
    const reuse = this.trainer && (args.precision === undefined || args.precision === this.trainer.precision);
    const precision = args.precision ?? 'default';
    let trainer = reuse ? this.trainer! : this.predictors.get(precision);
    if (!trainer) {
      trainer = new Trainer(this, { optimizer: 'sgd', loss: 'categoricalCrossentropy', precision });
      this.predictors.set(precision, trainer);
    }
    // a predictor of its own takes the model's current weights every time
    if (!reuse) await trainer.resetState();
    const per = (this.inputShape.slice(1) as number[]).reduce((a, d) => a * d, 1);
    const n = x.length / per;
    if (!Number.isInteger(n)) throw new LayerConfigError(`predict: ${x.length} values is not a whole number of inputs of ${per} values`);
    const outPer = (this.outputShape.slice(1) as number[]).reduce((a, d) => a * d, 1);
    const out = new Float32Array(n * outPer);
    const xs = x instanceof Float32Array ? x : Float32Array.from(x);
    const bs = args.batchSize ?? 32;
    for (let i = 0; i < n; i += bs) {
      const size = Math.min(bs, n - i);
      out.set(await trainer.predictBatch(xs.subarray(i * per, (i + size) * per), size), i * outPer);
    }
    return out;
  }

  /** Emits the forward pass: one HLO value per model output, from one per model input. */
  emitForward(ctx: CallContext, inputs: readonly Op[]): Op[] {
    const values = new Map<SymbolicTensor, Op>();
    this.inputs.forEach((t, i) => values.set(t, inputs[i]!));
    for (const n of this.nodes) {
      if (values.has(n.output)) continue;
      const args = n.inputs.map((t) => values.get(t)!);
      values.set(n.output, n.layer.call(ctx, args));
    }
    return this.outputs.map((t) => values.get(t)!);
  }
}

/**
 * A functional model from symbolic inputs to outputs.
 * @example
 * const x = input({ shape: [8, 8, 3] });
 * const y = dense({ units: 5, activation: 'softmax' }).apply(flatten().apply(x));
 * const m = model({ inputs: x, outputs: y });
 */
export function model(args: ModelArgs): Model {
  return new Model(args, 'functional');
}

/** Options of `sequential`. */
export interface SequentialArgs {
  /** Per-example input shape; default: the first layer's `inputShape`. */
  readonly inputShape?: readonly number[];
  readonly name?: string;
  readonly seed?: number;
  /** See ModelArgs.maxWeightBytes. */
  readonly maxWeightBytes?: number;
}

let sequentialCounter = 0;

/**
 * A linear stack of layers: each takes the previous one's output. A shape mismatch names
 * both layers and both shapes.
 * @example sequential([flatten({ inputShape: [8, 8, 3] }), dense({ units: 5, activation: 'softmax' })])
 */
export function sequential(layers: readonly Layer[], args: SequentialArgs = {}): Model {
  const shape = args.inputShape ?? layers[0]?.inputShape;
  if (layers.length === 0) throw new LayerConfigError('sequential needs at least one layer');
  if (!shape) throw new LayerShapeError(`sequential: give the first layer '${layers[0]!.name}' an inputShape (or pass inputShape to sequential)`);
  const x = input({ shape });
  let y = x;
  for (const layer of layers) y = layer.apply(y);
  const name = args.name ?? (sequentialCounter++ === 0 ? 'sequential' : `sequential_${sequentialCounter - 1}`);
  const options = { ...(args.seed !== undefined ? { seed: args.seed } : {}), ...(args.maxWeightBytes !== undefined ? { maxWeightBytes: args.maxWeightBytes } : {}) };
  return new Model({ inputs: x, outputs: y, name, ...options }, 'sequential');
}
