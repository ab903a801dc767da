/**
 * @module layers/training
 * Keras's training loop on compiled HLO steps: `compile({optimizer, loss, metrics})`,
 * `fit(dataset, {epochs, stepsPerEpoch, validationData, validationSteps, callbacks})`,
 * `evaluate`, `predict`. Each step runs through an Engine (./engine.ts) and, under a
 * strategy, on every replica with an all-reduce between gradient and update (./step.ts).
 * The replicas run on the main thread, or during fit on the strategy's worker threads
 * (./replica-pool.ts), with the same bits either way; with workers, the model's weights
 * are brought back at the end of each epoch and of fit.
 * `stepsPerEpoch` is honoured (the dataset is re-iterated when it runs out). A NaN or
 * infinite loss stops fit with the epoch and step.
 *
 * Imports mxu/config (precision), xla (module type), ./step, ./engine, ./losses,
 * ./optimizers, ./strategy, ./replicas, ./replica-pool, ./errors, ./random, ./model (type).
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
import { LocalReplicas, ReplicaPool, type ReplicaExecutor } from './replica-pool.ts';
import { shardsOf, type ReplicaState } from './replicas.ts';
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
  /** Host copies of every replica's weights and slots (replica 0's weights are the model's). */
  private host: ReplicaState[] | undefined;
  private local: LocalReplicas | undefined;
  /** The worker threads while a fit holds them (`starting` resolves to it). */
  private pool: ReplicaPool | undefined;
  private starting: Promise<ReplicaPool> | undefined;

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

  private hostStates(): ReplicaState[] {
    this.host ??= Array.from({ length: this.strategy.replicas }, (_, r) => ({
      weights: this.model.weights.map((w) => (r === 0 ? w.value! : w.value!.slice())),
      slots: this.model.weights.map(() => []),
    }));
    return this.host;
  }

  /** Where the replicas run: the worker pool while fit holds one, else this thread. */
  private async executor(): Promise<ReplicaExecutor> {
    if (this.starting) return await this.starting;
    return (this.local ??= new LocalReplicas(this.hostStates(), this.engine, this.model.weights, this.optimizer.slots.length));
  }

  /** Weight values of replica r (copies made on first use, from the model's; updated at epoch ends while on worker threads). */
  replica(r: number): Map<LayerWeight, Float32Array> {
    const st = this.hostStates()[r]!;
    return new Map(this.model.weights.map((w, i) => [w, st.weights[i]!]));
  }

  /** Host threads simulating the replicas now (more than 1 only while a fit holds workers). */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /**
   * Starts moving the replicas to worker threads when the strategy asks for more than one
   * thread and the engine can run there; resolves when the workers are ready. Fit calls it
   * without waiting (compiling the first step overlaps the workers' start-up); the first
   * step waits. `endThreads` must follow.
   */
  startThreads(): Promise<void> {
    const threads = Math.min(this.strategy.threads, this.strategy.replicas);
    if (!this.starting && threads > 1 && this.engine.portable) {
      const o = { states: this.hostStates(), threads, engine: this.engine, weights: this.model.weights, slotCount: this.optimizer.slots.length };
      this.starting = ReplicaPool.start(o).then((p) => (this.pool = p));
      this.starting.catch(() => undefined); // reported where it is awaited
    }
    return this.starting ? this.starting.then(() => undefined) : Promise.resolve();
  }

  /** Copies the workers' weights and slots to the host and the model (no-op without workers). */
  async syncThreads(): Promise<void> {
    if (!this.starting) return;
    this.host = await (await this.starting).states();
    this.local = undefined;
    this.publish();
  }

  /** Syncs (when `sync`) and stops the workers; a no-op without them. */
  async endThreads(sync: boolean): Promise<void> {
    const starting = this.starting;
    if (!starting) return;
    try {
      if (sync) await this.syncThreads();
    } finally {
      this.starting = undefined;
      this.pool = undefined;
      await starting.then((p) => p.close(), () => undefined);
    }
  }

  /** The model's weights are replica 0's. */
  private publish(): void {
    const w0 = this.hostStates()[0]!.weights;
    this.model.weights.forEach((w, i) => (w.value = w0[i]!));
  }

  /** One optimizer step on a global batch; returns loss, correct count and device seconds. */
  async trainStep(batch: Batch, epoch: number, lrOverride?: number): Promise<{ loss: number; correct: number; deviceSeconds: number }> {
    const R = this.strategy.replicas;
    if (batch.size % R !== 0) throw new LayerConfigError(`global batch ${batch.size} does not split evenly over ${R} cores`);
    const per = batch.size / R;
    const spec = { model: this.model, loss: this.loss, optimizer: this.optimizer, precision: this.precision, batch: per, replicas: R };
    const step = this.cached(this.key('train', per), () => compileTrainStep(spec));
    const ex = await this.executor();
    const h = await ex.plan(step);
    const noise = new SeededRandom(mixSeed(this.model.seed, this.step, 0x5eed)).next();
    const g = await ex.grad(h, shardsOf(batch.x, batch.y, R), noise);
    let deviceSeconds = Math.max(...g.seconds);
    if (R > 1) deviceSeconds += this.strategy.allReduce(h.sums);
    const rate = this.optimizer.stepRate(this.step, lrOverride ?? this.optimizer.schedule(this.step, epoch));
    const updated = await ex.update(h, rate);
    if (step.trainable.length + step.states.length > 0) deviceSeconds += updated[0]!;
    if (!this.starting) this.publish();
    this.step++;
    const loss = g.loss.reduce((a, l) => a + l, 0) / R;
    const correct = g.correct.reduce((a, c) => a + c, 0);
    return { loss, correct, deviceSeconds };
  }

  /** Loss and correct count on a batch, inference mode, split over the replicas when it divides evenly. */
  async evalBatch(batch: Batch): Promise<{ loss: number; correct: number; deviceSeconds: number }> {
    const R = batch.size % this.strategy.replicas === 0 ? this.strategy.replicas : 1;
    const per = batch.size / R;
    const m = this.cached(this.key('eval', per), () => compileEvalStep({ model: this.model, loss: this.loss, precision: this.precision, batch: per }));
    const r = await (await this.executor()).evaluate(m, shardsOf(batch.x, batch.y, R));
    const loss = r.loss.reduce((a, l) => a + l / R, 0);
    const correct = r.correct.reduce((a, c) => a + c, 0);
    return { loss, correct, deviceSeconds: Math.max(...r.seconds) }; // the cores run their shards at once
  }

  /** Model outputs for x [B, ...input], inference mode. */
  predictBatch(x: Float32Array, size: number): Float32Array {
    const m = this.cached(this.key('predict', size), () => compilePredictStep({ model: this.model, precision: this.precision, batch: size }));
    return this.engine.run(m, [x, ...this.model.weights.map((w) => w.value!)]).outputs[0]!;
  }

  /** Drops replica copies and slots whose weights were replaced (after loading weights). */
  resetState(): void {
    this.host = undefined;
    this.local = undefined;
  }
}

export type { BatchLike };
