/**
 * @module layers/step
 * Compiles a model into HLO modules, once per (model, input shape, batch size, what is
 * trainable): the gradient step, the update step, evaluation and prediction.
 *
 * A training step is two modules around an all-reduce, so that a data-parallel run sums
 * the replicas' gradients with src/tpu's real collective between them:
 *   grad:   (x, labels, noise, trainable..., frozen...) -> (loss, correct, grads..., new states...)
 *   [all-reduce of grads and states over the replicas, src/tpu collectives, when replicas > 1]
 *   update: (lr, trainable..., grad sums..., slots..., state sums...) -> (new weights..., new slots..., new states...)
 * The update divides the sums by the replica count, so every replica applies the same bits.
 * Shapes: x [B, ...input], labels [B] (sparse) or [B, N]; weights as their layers declare.
 *
 * Imports xla (builder, autodiff), mxu/config (precision), ./model, ./layer, ./losses,
 * ./optimizers, ./random.
 */
import type { Precision } from '../mxu/config.ts';
import { XlaBuilder, f32, gradients, type HloModule, type Op } from '../xla/index.ts';
import type { CallContext, Layer, LayerWeight } from './layer.ts';
import { emitCorrect, emitLoss, oneHot, type Loss } from './losses.ts';
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
}

/** The compiled training step of one configuration. */
export interface TrainStep {
  readonly grad: HloModule;
  readonly update: HloModule;
  /** Weights the optimizer updates, in argument order. */
  readonly trainable: readonly LayerWeight[];
  /** Weights passed unchanged (frozen) or updated as state (batch norm moving stats). */
  readonly frozen: readonly LayerWeight[];
  /** Frozen weights the forward pass gives a new value (moving stats), in output order. */
  readonly states: readonly LayerWeight[];
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
  if (loss.labels === 'sparse') return oneHot(b, b.parameter(1, f32([batch]), 'labels'), classes);
  return b.parameter(1, f32([batch, classes]), 'labels');
}

function inputParam(b: XlaBuilder, model: Model, batch: number): Op {
  return b.parameter(0, f32([batch, ...(model.inputShape.slice(1) as number[])]), 'x');
}

function classesOf(model: Model): number {
  return model.outputShape[model.outputShape.length - 1] as number;
}

/** The gradient module (see the module doc). */
function gradModule(spec: StepSpec, trainable: readonly LayerWeight[], frozen: readonly LayerWeight[]): { m: HloModule; states: LayerWeight[] } {
  const { model } = spec;
  const b = new XlaBuilder(`${model.name}_grad`);
  const x = inputParam(b, model, spec.batch);
  const labels = labelsParam(b, spec.loss, spec.batch, classesOf(model));
  const noise = b.parameter(2, f32([]), 'noise');
  const { ctx, updates } = context(b, { model, precision: spec.precision, training: true, noise }, [...trainable, ...frozen], 3);
  const [pred] = model.emitForward(ctx, [x]);
  const loss = emitLoss(b, spec.loss, pred!, labels);
  const correct = emitCorrect(b, pred!, labels);
  const grads = trainable.length > 0 ? gradients(b, loss, trainable.map((w) => ctx.weight(w))) : [];
  const states = frozen.filter((w) => updates.has(w));
  return { m: b.build([loss, correct, ...grads, ...states.map((w) => updates.get(w)!)]), states };
}

/** The update module (see the module doc). */
function updateModule(spec: StepSpec, trainable: readonly LayerWeight[], states: readonly LayerWeight[]): HloModule {
  const b = new XlaBuilder(`${spec.model.name}_update`);
  const lr = b.parameter(0, f32([]), 'lr');
  const k = spec.optimizer.slots.length;
  let p = 1;
  const ws = trainable.map((w) => b.parameter(p++, f32(w.shape), w.fullName));
  const gs = trainable.map((w) => b.parameter(p++, f32(w.shape), `${w.fullName}/grad`));
  const slots = trainable.map((w) => spec.optimizer.slots.map((s) => b.parameter(p++, f32(w.shape), `${w.fullName}/${s}`)));
  const ss = states.map((w) => b.parameter(p++, f32(w.shape), `${w.fullName}/sum`));
  const scale = (v: Op): Op => (spec.replicas > 1 ? b.multiply(v, 1 / spec.replicas) : v);
  const outW: Op[] = [];
  const outS: Op[] = [];
  b.withSource(spec.optimizer.name, () =>
    trainable.forEach((_, i) => {
      const r = spec.optimizer.update(b, { w: ws[i]!, g: scale(gs[i]!), slots: slots[i]!, lr });
      outW.push(r.w);
      outS.push(...r.slots);
    }),
  );
  const newStates = b.withSource('states', () => ss.map(scale));
  if (k === 0 && outW.length + newStates.length === 0) return b.build([lr]);
  return b.build([...outW, ...outS, ...newStates]);
}

/** Compiles the training step of a configuration. */
export function compileTrainStep(spec: StepSpec): TrainStep {
  const trainable = spec.model.trainableWeights;
  const frozen = spec.model.nonTrainableWeights;
  const { m, states } = gradModule(spec, trainable, frozen);
  return { grad: m, update: updateModule(spec, trainable, states), trainable, frozen, states };
}

/** Evaluation: (x, labels, weights...) -> (loss, correct), inference mode. */
export function compileEvalStep(spec: Omit<StepSpec, 'optimizer' | 'replicas'>): HloModule {
  const { model } = spec;
  const b = new XlaBuilder(`${model.name}_eval`);
  const x = inputParam(b, model, spec.batch);
  const labels = labelsParam(b, spec.loss, spec.batch, classesOf(model));
  const { ctx } = context(b, { model, precision: spec.precision, training: false }, model.weights, 2);
  const [pred] = model.emitForward(ctx, [x]);
  return b.build([emitLoss(b, spec.loss, pred!, labels), emitCorrect(b, pred!, labels)]);
}

/** Prediction: (x, weights...) -> (outputs), inference mode. */
export function compilePredictStep(spec: { model: Model; precision: Precision; batch: number }): HloModule {
  const { model } = spec;
  const b = new XlaBuilder(`${model.name}_predict`);
  const x = inputParam(b, model, spec.batch);
  const { ctx } = context(b, { model, precision: spec.precision, training: false }, model.weights, 1);
  return b.build(model.emitForward(ctx, [x]));
}
