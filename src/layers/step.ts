/**
 * @module layers/step
 * Compiles a model into HLO modules, once per (model, input shape, batch size, what is
 * trainable): the training step, evaluation and prediction. Keras concepts in, HLO out;
 * where and how the modules run is ../runtime's business.
 *
 * The training step is ONE SPMD module, the same on every core of a data-parallel run:
 *   (x, labels, noise, lr, trainable..., frozen..., slots...)
 *     forward -> loss -> gradients -> all-reduce(concat(grads, new states)) over the replicas
 *     -> divide by the replica count -> optimizer update
 *   -> (loss, correct, new trainable..., new slots..., new states...)
 * with every updated weight, slot and state aliased onto its parameter (input_output_alias),
 * so weights and optimizer state stay in each core's HBM from step to step: only the batch
 * shard (x, labels) and two scalars go in, only loss and correct count come out. The sums are
 * divided by the replica count after the all-reduce, so every replica applies the same bits.
 * Parameters that are weights or slots are device variables, named by `variableName`.
 * Shapes: x [B, ...input], labels [B] (sparse) or [B, N]; weights as their layers declare.
 *
 * Imports xla (builder, autodiff), mxu/config (precision), ./model, ./layer, ./losses,
 * ./optimizers, ./random.
 */
import type { Precision } from '../mxu/config.ts';
import { XlaBuilder, f32, gradients, type HloModule, type Op } from '../xla/index.ts';
import type { CallContext, Layer, LayerWeight } from './layer.ts';
import { emitCorrect, emitLoss, emitTopKCorrect, oneHot, type Loss } from './losses.ts';
import type { Model } from './model.ts';
import type { Optimizer } from './optimizers.ts';
import { mixSeed } from './random.ts';

/** What a compiled step depends on. */
export interface StepSpec {
  readonly model: Model;
  readonly loss: Loss;
  readonly optimizer: Optimizer;
  readonly precision: Precision;
  /** Examples per replica. */
  readonly batch: number;
  /** Cores the gradients are summed over. */
  readonly replicas: number;
  /** Also count top-k hits (the module's last output); undefined: the module has no such output. */
  readonly topK?: number;
}

/** A compiled module and which of its parameters are device variables (weights, slots). */
export interface CompiledModule {
  readonly module: HloModule;
  /** Parameter index -> device variable name. */
  readonly variables: ReadonlyMap<number, string>;
  /** Output index of the top-k hit count (StepSpec.topK), when there is one. */
  readonly topKOutput?: number;
}

/** The compiled training step of one configuration. */
export interface TrainStep extends CompiledModule {
  /** Weights the optimizer updates, in argument order. */
  readonly trainable: readonly LayerWeight[];
  /** Weights passed unchanged (frozen) or updated as state (batch norm moving stats). */
  readonly frozen: readonly LayerWeight[];
  /** Frozen weights the forward pass gives a new value (moving stats), in output order. */
  readonly states: readonly LayerWeight[];
}

/** Parameter indices of a training step's per-step inputs. */
export const TRAIN_INPUTS = { x: 0, labels: 1, noise: 2, lr: 3 } as const;

/** Output indices of the per-replica scalars of training and evaluation steps. */
export const STEP_OUTPUTS = { loss: 0, correct: 1 } as const;

/** The device variable holding a weight (`slot` undefined) or one of its optimizer slots. */
export function variableName(w: LayerWeight, slot?: string): string {
  return slot === undefined ? `var:${w.fullName}` : `var:${w.fullName}/${slot}`;
}

/** A CallContext whose weights are parameters of `b`, starting at parameter `first`. */
function context(b: XlaBuilder, spec: { model: Model; precision: Precision; training: boolean; noise?: Op }, weights: readonly LayerWeight[], first: number) {
  const ops = new Map<LayerWeight, Op>();
  weights.forEach((w, i) => ops.set(w, b.parameter(first + i, f32(w.shape), w.fullName)));
  const updates = new Map<LayerWeight, Op>();
  const ctx: CallContext = {
    b,
    training: spec.training,
    precision: spec.precision,
    weight: (w) => ops.get(w)!,
    update: (w, v) => void updates.set(w, v),
    uniform: (dims: readonly number[], layer: Layer) => {
      // NOTE: HLO's rng has a compile-time seed; a per-step scalar in [0, 1) rotates it
      // (u + r mod 1 is still uniform) so each step and replica draws a fresh mask.
      const seed = mixSeed(spec.model.seed, spec.model.layers.indexOf(layer)) & 0x7fffffff;
      const u = b.add(b.rng(dims, seed), b.broadcast(spec.noise!, dims, []));
      return b.select(b.compare(u, 1, 'GE'), b.subtract(u, 1), u);
    },
  };
  return { ctx, updates };
}

function labelsParam(b: XlaBuilder, loss: Loss, batch: number, classes: number): Op {
  if (loss.labels === 'sparse') return oneHot(b, b.parameter(TRAIN_INPUTS.labels, f32([batch]), 'labels'), classes);
  return b.parameter(TRAIN_INPUTS.labels, f32([batch, classes]), 'labels');
}

function inputParam(b: XlaBuilder, model: Model, batch: number): Op {
  return b.parameter(TRAIN_INPUTS.x, f32([batch, ...(model.inputShape.slice(1) as number[])]), 'x');
}

function classesOf(model: Model): number {
  return model.outputShape[model.outputShape.length - 1] as number;
}

/** Forward, loss, correct count and gradients of one replica's batch (weights from parameter `first` on). */
function emitGradients(b: XlaBuilder, spec: Omit<StepSpec, 'optimizer' | 'replicas'>, first: number) {
  const { model } = spec;
  const trainable = model.trainableWeights;
  const frozen = model.nonTrainableWeights;
  const x = inputParam(b, model, spec.batch);
  const labels = labelsParam(b, spec.loss, spec.batch, classesOf(model));
  const noise = b.parameter(TRAIN_INPUTS.noise, f32([]), 'noise');
  const { ctx, updates } = context(b, { model, precision: spec.precision, training: true, noise }, [...trainable, ...frozen], first);
  const [pred] = model.emitForward(ctx, [x]);
  const loss = emitLoss(b, spec.loss, pred!, labels);
  const correct = emitCorrect(b, pred!, labels);
  const topK = spec.topK !== undefined ? [emitTopKCorrect(b, pred!, labels, spec.topK)] : [];
  const grads = gradients(b, loss, trainable.map((w) => ctx.weight(w))); // none to take: [], nothing emitted
  const states = frozen.filter((w) => updates.has(w));
  return { trainable, frozen, ctx, loss, correct, topK, grads, states, newStates: states.map((w) => updates.get(w)!) };
}

/**
 * One replica's gradients, for checks and analysis (the training step computes the same and
 * goes on to the all-reduce and the update): (x, labels, noise, trainable..., frozen...) ->
 * (loss, correct, grads..., new states...).
 */
export function compileGradStep(spec: Omit<StepSpec, 'optimizer' | 'replicas'>): TrainStep {
  const b = new XlaBuilder(`${spec.model.name}_grad`);
  const g = emitGradients(b, spec, 3);
  const variables = new Map([...g.trainable, ...g.frozen].map((w, i) => [3 + i, variableName(w)] as const));
  return { module: b.build([g.loss, g.correct, ...g.grads, ...g.newStates]), variables, trainable: g.trainable, frozen: g.frozen, states: g.states };
}

/** The training step (see the module doc). */
export function compileTrainStep(spec: StepSpec): TrainStep {
  const { model, optimizer } = spec;
  const b = new XlaBuilder(`${model.name}_train`);
  const first = 4;
  const { trainable, frozen, ctx, loss, correct, topK, grads, states, newStates: stateValues } = emitGradients(b, spec, first);
  const lr = b.parameter(TRAIN_INPUTS.lr, f32([]), 'lr');
  const slotBase = first + trainable.length + frozen.length;
  const k = optimizer.slots.length;
  const slotParams = trainable.map((w, i) => optimizer.slots.map((slot, j) => b.parameter(slotBase + i * k + j, f32(w.shape), `${w.fullName}/${slot}`)));
  const summed = allReduced(b, [...grads, ...stateValues], spec.replicas);
  const scale = (v: Op): Op => (spec.replicas > 1 ? b.multiply(v, 1 / spec.replicas) : v);
  const outW: Op[] = [];
  const outS: Op[] = [];
  b.withSource(optimizer.name, () =>
    trainable.forEach((w, i) => {
      const r = optimizer.update(b, { w: ctx.weight(w), g: scale(summed[i]!), slots: slotParams[i]!, lr });
      outW.push(r.w);
      outS.push(...r.slots);
    }),
  );
  const newStates = b.withSource('states', () => summed.slice(trainable.length).map(scale));
  // NOTE: the top-k count goes last, so the aliased outputs keep their indices
  const outputs = [loss, correct, ...outW, ...outS, ...newStates, ...topK];
  const built = b.build(outputs);
  // outputs 2.. go back into their parameters' buffers: weights, slots, states
  const aliases = [
    ...trainable.map((_, i) => ({ output: 2 + i, param: first + i })),
    ...trainable.flatMap((_, i) => optimizer.slots.map((_s, j) => ({ output: 2 + trainable.length + i * k + j, param: slotBase + i * k + j }))),
    ...states.map((w, j) => ({ output: 2 + trainable.length * (1 + k) + j, param: first + trainable.length + frozen.indexOf(w) })),
  ];
  const variables = new Map<number, string>([
    ...[...trainable, ...frozen].map((w, i) => [first + i, variableName(w)] as const),
    ...trainable.flatMap((w, i) => optimizer.slots.map((slot, j) => [slotBase + i * k + j, variableName(w, slot)] as const)),
  ]);
  return { module: { ...built, aliases }, variables, trainable, frozen, states, ...(topK.length > 0 ? { topKOutput: outputs.length - 1 } : {}) };
}

/**
 * The replicas' sum of each value, as one all-reduce of all of them concatenated (XLA's
 * all-reduce combining: one collective per step, not one per weight); the values
 * themselves on one replica.
 */
function allReduced(b: XlaBuilder, values: readonly Op[], replicas: number): Op[] {
  if (replicas === 1 || values.length === 0) return [...values];
  return b.withSource('all-reduce', () => {
    const flat = values.map((v) => b.reshape(v, [v.shape.dims.reduce((a, d) => a * d, 1)]));
    const sum = b.allReduce(flat.length === 1 ? flat[0]! : b.concatenate(flat, 0), replicas);
    let offset = 0;
    return values.map((v, i) => {
      const n = flat[i]!.shape.dims[0]!;
      const part = b.slice(sum, { start: [offset], limit: [offset + n] });
      offset += n;
      return b.reshape(part, v.shape.dims);
    });
  });
}

/** Parameter index -> variable name of every weight, from parameter `first` on. */
const weightVariables = (model: Model, first: number): Map<number, string> => new Map(model.weights.map((w, i) => [first + i, variableName(w)]));

/** Evaluation: (x, labels, weights...) -> (loss, correct), inference mode; weights are device variables. */
export function compileEvalStep(spec: Omit<StepSpec, 'optimizer' | 'replicas'>): CompiledModule {
  const { model } = spec;
  const b = new XlaBuilder(`${model.name}_eval`);
  const x = inputParam(b, model, spec.batch);
  const labels = labelsParam(b, spec.loss, spec.batch, classesOf(model));
  const { ctx } = context(b, { model, precision: spec.precision, training: false }, model.weights, 2);
  const [pred] = model.emitForward(ctx, [x]);
  const topK = spec.topK !== undefined ? [emitTopKCorrect(b, pred!, labels, spec.topK)] : [];
  const module = b.build([emitLoss(b, spec.loss, pred!, labels), emitCorrect(b, pred!, labels), ...topK]);
  return { module, variables: weightVariables(model, 2), ...(topK.length > 0 ? { topKOutput: 2 } : {}) };
}

/** Prediction: (x, weights...) -> (outputs), inference mode; weights are device variables. */
export function compilePredictStep(spec: { model: Model; precision: Precision; batch: number }): CompiledModule {
  const { model } = spec;
  const b = new XlaBuilder(`${model.name}_predict`);
  const x = inputParam(b, model, spec.batch);
  const { ctx } = context(b, { model, precision: spec.precision, training: false }, model.weights, 1);
  return { module: b.build(model.emitForward(ctx, [x])), variables: weightVariables(model, 1) };
}
