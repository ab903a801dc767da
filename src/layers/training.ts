/**
 * @module layers/training
 * Keras's training loop on compiled HLO steps: `compile({optimizer, loss, metrics})`,
 * `fit(dataset, {epochs, stepsPerEpoch, validationData, validationSteps, callbacks})`,
 * `evaluate`, `predict`. Each step runs through an Engine (./engine.ts) and, under a
 * strategy, on every replica with an all-reduce between gradient and update (./step.ts).
 * The replicas run on the main thread, or during fit on the strategy's worker threads
 * (./replica-host.ts), with the same bits either way; with workers, the model's weights
 * are brought back at the end of each epoch and of fit.
 * `stepsPerEpoch` is honoured (the dataset is re-iterated when it runs out). A NaN or
 * infinite loss stops fit with the epoch and step.
 *
 * Imports mxu/config (precision), xla (module type), ./step, ./engine, ./losses,
 * ./optimizers, ./strategy, ./replicas, ./replica-host, ./errors, ./random, ./model (type).
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
import { ReplicaHost } from './replica-host.ts';
import { shardsOf } from './replicas.ts';
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
  /** The replicas' states and the threads they run on. */
  private readonly replicas: ReplicaHost;

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
    const { replicas, threads, autoThreads: auto, autoThreadsStepSeconds: autoStepSeconds } = this.strategy;
    const spareThreads = () => this.strategy.spareThreads();
    this.replicas = new ReplicaHost({ model, engine: this.engine, replicas, threads, auto, autoStepSeconds, spareThreads, slotCount: this.optimizer.slots.length });
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

  /** Weight values of replica r (copies made on first use, from the model's; refreshed at epoch ends while on worker threads). */
  replica(r: number): Map<LayerWeight, Float32Array> {
    const st = this.replicas.states()[r]!;
    return new Map(this.model.weights.map((w, i) => [w, st.weights[i]!]));
  }

  /** Host threads simulating the replicas now (more than 1 only inside a fit). */
  get threads(): number {
    return this.replicas.threads;
  }

  /** True once a fit's worker threads are ready (they take over at the next step). */
  get workersReady(): boolean {
    return this.replicas.workersReady;
  }

  /** The most host threads that ran steps in the last (or current) fit. */
  get threadsUsed(): number {
    return this.replicas.threadsUsed;
  }

  /** Fit starts (./fit.ts): worker threads start now when the strategy fixes their number. */
  beginFit(): void {
    this.replicas.beginFit();
  }

  /** Brings the replicas' weights back from worker threads to the model (fit: every epoch end). */
  syncThreads(): Promise<void> {
    return this.replicas.sync();
  }

  /** Fit ends: syncs (when `sync`) and stops the worker threads. */
  endFit(sync: boolean): Promise<void> {
    return this.replicas.endFit(sync);
  }

  /** One optimizer step on a global batch; returns loss, correct count and device seconds. */
  async trainStep(batch: Batch, epoch: number, lrOverride?: number): Promise<{ loss: number; correct: number; deviceSeconds: number }> {
    const R = this.strategy.replicas;
    if (batch.size % R !== 0) throw new LayerConfigError(`global batch ${batch.size} does not split evenly over ${R} cores`);
    const per = batch.size / R;
    const spec = { model: this.model, loss: this.loss, optimizer: this.optimizer, precision: this.precision, batch: per, replicas: R };
    const step = this.cached(this.key('train', per), () => compileTrainStep(spec));
    const ex = await this.replicas.executor();
    const started = performance.now();
    const h = await ex.plan(step);
    const noise = new SeededRandom(mixSeed(this.model.seed, this.step, 0x5eed)).next();
    const g = await ex.grad(h, shardsOf(batch.x, batch.y, R), noise);
    let deviceSeconds = Math.max(...g.seconds);
    if (R > 1) deviceSeconds += this.strategy.allReduce(h.sums);
    const rate = this.optimizer.stepRate(this.step, lrOverride ?? this.optimizer.schedule(this.step, epoch));
    const updated = await ex.update(h, rate);
    if (step.trainable.length + step.states.length > 0) deviceSeconds += updated[0]!;
    if (!this.replicas.onWorkers) this.replicas.publish();
    this.replicas.noteStep((performance.now() - started) / 1000);
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
    const r = await (await this.replicas.executor()).evaluate(m, shardsOf(batch.x, batch.y, R));
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
    this.replicas.reset();
  }
}

export type { BatchLike };
