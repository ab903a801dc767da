/**
 * @module layers/training
 * Keras's training loop on compiled HLO steps: `compile({optimizer, loss, metrics})`,
 * `fit(dataset, {epochs, stepsPerEpoch, validationData, validationSteps, callbacks})`,
 * `evaluate`, `predict`. Each step runs through an Engine (./engine.ts) and, under a
 * strategy, on every replica with an all-reduce between gradient and update (./step.ts).
 * `stepsPerEpoch` is honoured (the dataset is re-iterated when it runs out). A NaN or
 * infinite loss stops fit with the epoch and step.
 *
 * Imports mxu/config (precision), xla (module type), ./step, ./engine, ./losses,
 * ./optimizers, ./strategy, ./errors, ./random, ./model (type).
 */
import type { Precision } from '../mxu/config.ts';
import type { HloModule } from '../xla/index.ts';
import { tpuEngine, type Engine } from './engine.ts';
import { LayerConfigError, UnknownNameError } from './errors.ts';
import type { LayerWeight } from './layer.ts';
import { lossOf, type Loss } from './losses.ts';
import type { Model } from './model.ts';
import { optimizerOf, type Optimizer } from './optimizers.ts';
import { SeededRandom, mixSeed } from './random.ts';
import { compileEvalStep, compilePredictStep, compileTrainStep, type TrainStep } from './step.ts';
import { defaultStrategy, type Strategy } from './strategy.ts';
import type { Batch, BatchLike } from './batches.ts';

/** Options of `compile`. */
export interface CompileArgs {
  readonly optimizer: string | Optimizer;
  readonly loss: string | Loss;
  /** Only 'accuracy' (or 'acc') is known. */
  readonly metrics?: readonly string[];
  /** Matmul precision: 'default' (one bf16 pass), 'high' (bf16x3), 'highest' (bf16x6). */
  readonly precision?: Precision;
  readonly strategy?: Strategy;
  readonly engine?: Engine;
}

/** Per-epoch logs, as Keras names them. */
export interface Logs {
  loss: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
}

/** Hooks called during fit; `control.setLearningRate` overrides the schedule for the epoch. */
export interface Callback {
  onEpochBegin?(epoch: number, control: { setLearningRate(lr: number): void }): void;
  /** `history` holds every finished epoch so far, this one included (timings too). */
  onEpochEnd?(epoch: number, logs: Logs, history: History): void;
  onBatchEnd?(step: number, logs: { loss: number }): void;
}

/** Keras's LearningRateScheduler: the rate of each 0-based epoch from a function. */
export function learningRateScheduler(fn: (epoch: number) => number): Callback {
  return { onEpochBegin: (epoch, control) => control.setLearningRate(fn(epoch)) };
}

/** Options of `fit`. */
export interface FitArgs {
  readonly epochs?: number;
  readonly stepsPerEpoch?: number;
  readonly validationData?: AsyncIterable<BatchLike> | Iterable<BatchLike>;
  readonly validationSteps?: number;
  readonly callbacks?: readonly Callback[];
}

/** What fit returns: per-epoch logs plus timings. */
export interface History {
  readonly epoch: number[];
  readonly history: { loss: number[]; accuracy: number[]; val_loss: number[]; val_accuracy: number[] };
  /** Device seconds per epoch (see the engine for what kind of time). */
  readonly deviceSeconds: number[];
  /** Host wall-clock seconds per epoch. */
  readonly hostSeconds: number[];
  /** Optimizer steps run per epoch. */
  readonly steps: number[];
}

/** The compiled state of a model. */
export class Trainer {
  readonly loss: Loss;
  readonly optimizer: Optimizer;
  readonly precision: Precision;
  readonly strategy: Strategy;
  readonly engine: Engine;
  /** Optimizer steps taken so far. */
  step = 0;
  private readonly cache = new Map<string, TrainStep | HloModule>();
  private slots = new Map<LayerWeight, Float32Array[][]>();
  /** Per-replica copies of every weight (replica 0 is the model's own). */
  private replicaWeights: Map<LayerWeight, Float32Array>[] = [];

  constructor(
    readonly model: Model,
    args: CompileArgs,
  ) {
    this.loss = lossOf(args.loss);
    this.optimizer = optimizerOf(args.optimizer);
    for (const m of args.metrics ?? []) {
      if (m !== 'accuracy' && m !== 'acc') throw new UnknownNameError(`unknown metric '${m}'; valid: accuracy, acc`);
    }
    this.precision = args.precision ?? 'default';
    this.strategy = args.strategy ?? defaultStrategy();
    this.engine = args.engine ?? tpuEngine();
  }

  private cached<T extends TrainStep | HloModule>(key: string, make: () => T): T {
    let v = this.cache.get(key) as T | undefined;
    if (!v) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  /** Number of compiled modules held (the step cache). */
  get compiledCount(): number {
    return this.cache.size;
  }

  private key(kind: string, batch: number): string {
    const mask = this.model.weights.map((w) => (w.trainable ? 1 : 0)).join('');
    return `${kind}|${batch}|${this.model.inputShape.join(',')}|${mask}|${this.precision}`;
  }

  /** Weight values of replica r (copies made on first use, from the model's). */
  replica(r: number): Map<LayerWeight, Float32Array> {
    while (this.replicaWeights.length < this.strategy.replicas) {
      this.replicaWeights.push(new Map(this.model.weights.map((w) => [w, this.replicaWeights.length === 0 ? w.value! : w.value!.slice()])));
    }
    return this.replicaWeights[r]!;
  }

  private slotsOf(w: LayerWeight, r: number): Float32Array[] {
    let s = this.slots.get(w);
    if (!s) {
      s = Array.from({ length: this.strategy.replicas }, () => this.optimizer.slots.map(() => new Float32Array(w.size)));
      this.slots.set(w, s);
    }
    return s[r]!;
  }

  /** One optimizer step on a global batch; returns loss, correct count and device seconds. */
  trainStep(batch: Batch, epoch: number, lrOverride?: number): { loss: number; correct: number; deviceSeconds: number } {
    const R = this.strategy.replicas;
    if (batch.size % R !== 0) throw new LayerConfigError(`global batch ${batch.size} does not split evenly over ${R} cores`);
    const per = batch.size / R;
    const spec = { model: this.model, loss: this.loss, optimizer: this.optimizer, precision: this.precision, batch: per, replicas: R };
    const step = this.cached(this.key('train', per), () => compileTrainStep(spec));
    const noise = new SeededRandom(mixSeed(this.model.seed, this.step, 0x5eed));
    const gradRuns = Array.from({ length: R }, (_, r) => {
      const w = this.replica(r);
      const args = [batch.shard(r, R).x, batch.shard(r, R).y, new Float32Array([noise.next()]), ...step.trainable.map((t) => w.get(t)!), ...step.frozen.map((t) => w.get(t)!)];
      return this.engine.run(step.grad, args);
    });
    const nT = step.trainable.length;
    // grad outputs: loss, correct, grads (nT), new states; the last two are summed over replicas.
    let sums = gradRuns.map((g) => g.outputs.slice(2));
    let deviceSeconds = Math.max(...gradRuns.map((g) => g.deviceSeconds));
    if (R > 1) {
      const sizes = sums[0]!.map((p) => p.length);
      const buffers = sums.map(concat);
      deviceSeconds += this.strategy.allReduce(buffers);
      sums = buffers.map((buf) => split(buf, sizes));
    }
    const rate = this.optimizer.stepRate(this.step, lrOverride ?? this.optimizer.schedule(this.step, epoch));
    const k = this.optimizer.slots.length;
    for (let r = 0; r < R; r++) {
      const w = this.replica(r);
      const flat = sums[r]!;
      const args = [new Float32Array([rate]), ...step.trainable.map((t) => w.get(t)!), ...flat.slice(0, nT), ...step.trainable.flatMap((t) => this.slotsOf(t, r)), ...flat.slice(nT)];
      if (nT + step.states.length === 0) continue;
      const run = this.engine.run(step.update, args);
      if (r === 0) deviceSeconds += run.deviceSeconds;
      step.trainable.forEach((t, i) => {
        w.set(t, run.outputs[i]!);
        this.slots.get(t)![r] = run.outputs.slice(nT + i * k, nT + (i + 1) * k);
      });
      step.states.forEach((t, i) => w.set(t, run.outputs[nT + nT * k + i]!));
    }
    for (const t of this.model.weights) t.value = this.replica(0).get(t)!;
    this.step++;
    const loss = gradRuns.reduce((a, g) => a + g.outputs[0]![0]!, 0) / R;
    const correct = gradRuns.reduce((a, g) => a + g.outputs[1]![0]!, 0);
    return { loss, correct, deviceSeconds };
  }

  /** Loss and correct count on a batch, inference mode, split over the replicas when it divides evenly. */
  evalBatch(batch: Batch): { loss: number; correct: number; deviceSeconds: number } {
    const R = batch.size % this.strategy.replicas === 0 ? this.strategy.replicas : 1;
    const per = batch.size / R;
    const m = this.cached(this.key('eval', per), () => compileEvalStep({ model: this.model, loss: this.loss, precision: this.precision, batch: per }));
    let [loss, correct, seconds] = [0, 0, 0];
    for (let r = 0; r < R; r++) {
      const shard = batch.shard(r, R);
      const run = this.engine.run(m, [shard.x, shard.y, ...this.model.weights.map((w) => w.value!)]);
      loss += run.outputs[0]![0]! / R;
      correct += run.outputs[1]![0]!;
      seconds = Math.max(seconds, run.deviceSeconds); // the cores run their shards at once
    }
    return { loss, correct, deviceSeconds: seconds };
  }

  /** Model outputs for x [B, ...input], inference mode. */
  predictBatch(x: Float32Array, size: number): Float32Array {
    const m = this.cached(this.key('predict', size), () => compilePredictStep({ model: this.model, precision: this.precision, batch: size }));
    return this.engine.run(m, [x, ...this.model.weights.map((w) => w.value!)]).outputs[0]!;
  }

  /** Drops replica copies and slots whose weights were replaced (after loading weights). */
  resetState(): void {
    this.replicaWeights = [];
    this.slots = new Map();
  }
}

/** Concatenates a replica's values into one buffer (one collective per step). */
function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Splits a buffer back into parts of `sizes`. */
function split(buf: Float32Array, sizes: readonly number[]): Float32Array[] {
  let o = 0;
  return sizes.map((n) => buf.slice(o, (o += n)));
}

export type { BatchLike };
