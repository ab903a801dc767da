/**
 * @module layers/training
 * Keras's training loop on compiled HLO steps: `compile({optimizer, loss, metrics})`,
 * `fit(dataset, {epochs, stepsPerEpoch, validationData, validationSteps, callbacks})`,
 * `evaluate`, `predict`. Each step is one SPMD module (./step.ts) run on the strategy's
 * replicas by a runtime device (../runtime: the simulated TPU board by default). The model's
 * weights and the optimizer's slots live on the device between steps; the model's own weight
 * values are refreshed from it at every epoch end and when fit ends (`syncWeights`), and are
 * written to it again when they change on the host (`resetState`, after loading weights).
 * `stepsPerEpoch` is honoured (the dataset is re-iterated when it runs out). A NaN or
 * infinite loss stops fit with the epoch and step.
 *
 * Imports mxu/config (precision), runtime (devices, engines), ./step, ./losses,
 * ./optimizers, ./strategy, ./errors, ./random, ./model (type), ./batches (types).
 */
import type { Precision } from '../mxu/config.ts';
import { tpuEngine, type Device, type Engine } from '../runtime/index.ts';
import type { Profile } from '../tpu/index.ts';
import { LayerConfigError, UnknownNameError } from './errors.ts';
import type { LayerWeight } from './layer.ts';
import { lossOf, type Loss } from './losses.ts';
import type { Model } from './model.ts';
import { optimizerOf, type Optimizer } from './optimizers.ts';
import { SeededRandom, mixSeed } from './random.ts';
import { STEP_OUTPUTS, TRAIN_INPUTS, compileEvalStep, compilePredictStep, compileTrainStep, variableName, type CompiledModule, type TrainStep } from './step.ts';
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
  /** Where steps run: the simulated TPU (default) or the reference interpreter (runtime). */
  readonly engine?: Engine;
  /** Also count top-k hits in every step (k, a positive integer), for a top-k accuracy metric. */
  readonly topK?: number;
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
  onEpochEnd?(epoch: number, logs: Logs, history: History): void | Promise<void>;
  /** After each step: its loss, correct count and examples (for progress displays). */
  onBatchEnd?(step: number, logs: { loss: number; correct: number; examples: number }): void;
  /** The per-instruction profile of core 0 for the step `FitArgs.profileStep` (simulated devices). */
  onStepProfile?(step: number, profile: Profile): void;
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
  /** The epoch to start at (Keras's initial_epoch: a resumed run); epochs counts from 0 as before. Default 0. */
  readonly initialEpoch?: number;
  /** The fit's step (0-based, counted within this fit) whose core-0 profile goes to `onStepProfile`. */
  readonly profileStep?: number;
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
  /**
   * The host's 1-minute load average at the end of each epoch (os.loadavg; 0 where the OS has
   * none): how shared the host was while hostSeconds was measured. null for the epochs of a
   * resumed run saved before it was recorded.
   */
  readonly hostLoad?: (number | null)[];
}

/** What a training or evaluation step reports: mean loss, correct count (and top-k hits), device time. */
export interface StepResult {
  readonly loss: number;
  readonly correct: number;
  /** Examples whose label is among the k highest predictions (with CompileArgs.topK). */
  readonly topKCorrect?: number;
  readonly deviceSeconds: number;
}

/** The summed top-k hit count of a module's per-replica outputs, when it has one. */
function topKOf(m: CompiledModule, outputs: readonly ReadonlyMap<number, Float32Array>[]): { topKCorrect?: number } {
  if (m.topKOutput === undefined) return {};
  return { topKCorrect: outputs.reduce((a, o) => a + o.get(m.topKOutput!)![0]!, 0) };
}

/** The compiled state of a model. */
export class Trainer {
  readonly loss: Loss;
  readonly optimizer: Optimizer;
  readonly precision: Precision;
  readonly strategy: Strategy;
  readonly engine: Engine;
  /** k of the top-k hit count each step reports (CompileArgs.topK), if any. */
  readonly topK: number | undefined;
  /** Optimizer steps taken so far. */
  step = 0;
  private readonly cache = new Map<string, CompiledModule>();
  private dev: Device | undefined;
  /** The device holds the model's current weights (staged or loaded). */
  private weightsOnDevice = false;
  /** The device's weights are newer than the model's values (trained since the last sync). */
  private deviceAhead = false;
  private used = 1;

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
    if (args.topK !== undefined && !(Number.isSafeInteger(args.topK) && args.topK > 0)) {
      throw new LayerConfigError(`compile topK must be a positive integer, got ${args.topK}`);
    }
    this.topK = args.topK;
  }

  private cached<T extends CompiledModule>(key: string, make: () => T): T {
    let v = this.cache.get(key) as T | undefined;
    if (!v) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  private topKSpec(): { topK?: number } {
    return this.topK !== undefined ? { topK: this.topK } : {};
  }

  /** Number of compiled modules held (the step cache). */
  get compiledCount(): number {
    return this.cache.size;
  }

  private key(kind: string, batch: number): string {
    const mask = this.model.weights.map((w) => (w.trainable ? 1 : 0)).join('');
    return `${kind}|${batch}|${this.model.inputShape.join(',')}|${mask}|${this.precision}|${this.topK ?? ''}`;
  }

  /** The device (made on first use) holding the model's weights. */
  private device(): Device {
    if (!this.dev) {
      const s = this.strategy;
      this.dev = this.engine.device({ replicas: s.replicas, threads: s.threads, autoThreadsSeconds: s.autoThreadsSeconds, spareThreads: () => s.spareThreads() });
    }
    if (!this.weightsOnDevice) {
      for (const w of this.model.weights) this.dev.setVariable(variableName(w), w.value!);
      this.weightsOnDevice = true;
    }
    return this.dev;
  }

  /** Weight values of replica r (a copy from the device). */
  async replica(r: number): Promise<Map<LayerWeight, Float32Array>> {
    const d = this.device();
    const values = await Promise.all(this.model.weights.map(async (w) => [w, (await d.getVariable(variableName(w), r)) ?? w.value!] as const));
    return new Map(values);
  }

  /** Host threads simulating the replicas now. */
  get threads(): number {
    return this.dev?.threads ?? 1;
  }

  /** True once started worker threads are ready (they take over at the next step). */
  get workersReady(): boolean {
    return this.dev?.workersReady ?? false;
  }

  /** The most host threads that ran steps in the last (or current) fit. */
  get threadsUsed(): number {
    return this.used;
  }

  /** Fit starts (./fit.ts). */
  beginFit(): void {
    this.used = 1;
  }

  /** Brings the device's weights back to the model (fit: every epoch end). */
  async syncWeights(): Promise<void> {
    if (!this.dev || !this.deviceAhead) return;
    for (const w of this.model.weights) w.value = (await this.dev.getVariable(variableName(w))) ?? w.value!;
    this.deviceAhead = false;
  }

  /** Fit ends: syncs (when `sync`) the weights back and stops the device's worker threads. */
  async endFit(sync: boolean): Promise<void> {
    if (sync) await this.syncWeights();
    await this.dev?.stopThreads();
  }

  /** Stops the device's host threads (a later step starts them again). */
  async close(): Promise<void> {
    await this.syncWeights();
    const d = this.dev;
    this.dev = undefined;
    this.weightsOnDevice = false;
    await d?.close();
  }

  /** One optimizer step on a global batch; returns loss, correct count and device seconds. */
  async trainStep(batch: Batch, epoch: number, lrOverride?: number, options: { readonly profile?: boolean } = {}): Promise<StepResult & { profile?: Profile }> {
    const R = this.strategy.replicas;
    if (batch.size % R !== 0) throw new LayerConfigError(`global batch ${batch.size} does not split evenly over ${R} cores`);
    const per = batch.size / R;
    const spec = { model: this.model, loss: this.loss, optimizer: this.optimizer, precision: this.precision, batch: per, replicas: R, ...this.topKSpec() };
    const step = this.cached<TrainStep>(this.key('train', per), () => compileTrainStep(spec));
    const noise = Float32Array.of(new SeededRandom(mixSeed(this.model.seed, this.step, 0x5eed)).next());
    const rate = Float32Array.of(this.optimizer.stepRate(this.step, lrOverride ?? this.optimizer.schedule(this.step, epoch)));
    const inputs = Array.from({ length: R }, (_, r) => {
      const s = batch.shard(r, R);
      return new Map([[TRAIN_INPUTS.x, s.x], [TRAIN_INPUTS.labels, s.y], [TRAIN_INPUTS.noise, noise], [TRAIN_INPUTS.lr, rate]] as const);
    });
    const device = this.device();
    const run = await device.run(step, inputs, options);
    this.used = Math.max(this.used, device.threads);
    this.deviceAhead = true;
    this.step++;
    const loss = run.outputs.reduce((a, o) => a + o.get(STEP_OUTPUTS.loss)![0]!, 0) / R;
    const correct = run.outputs.reduce((a, o) => a + o.get(STEP_OUTPUTS.correct)![0]!, 0);
    return { loss, correct, ...topKOf(step, run.outputs), deviceSeconds: run.deviceSeconds, ...(run.profile ? { profile: run.profile } : {}) };
  }

  /**
   * Loss and correct count on a batch, inference mode: split over the replicas when it
   * divides evenly, else the whole batch on every replica (replica 0's result is used).
   */
  async evalBatch(batch: Batch): Promise<StepResult> {
    const R = this.strategy.replicas;
    const split = batch.size % R === 0;
    const per = split ? batch.size / R : batch.size;
    const spec = { model: this.model, loss: this.loss, precision: this.precision, batch: per, ...this.topKSpec() };
    const m = this.cached(this.key('eval', per), () => compileEvalStep(spec));
    const inputs = Array.from({ length: R }, (_, r) => {
      const s = split ? batch.shard(r, R) : { x: batch.x, y: batch.y };
      return new Map([[TRAIN_INPUTS.x, s.x], [TRAIN_INPUTS.labels, s.y]] as const);
    });
    const run = await this.device().run(m, inputs);
    const used = split ? run.outputs : run.outputs.slice(0, 1);
    const loss = used.reduce((a, o) => a + o.get(STEP_OUTPUTS.loss)![0]!, 0) / used.length;
    const correct = used.reduce((a, o) => a + o.get(STEP_OUTPUTS.correct)![0]!, 0);
    return { loss, correct, ...topKOf(m, used), deviceSeconds: run.deviceSeconds };
  }

  /** Model outputs for x [B, ...input], inference mode (split over the replicas when B divides evenly). */
  async predictBatch(x: Float32Array, size: number): Promise<Float32Array> {
    const R = this.strategy.replicas;
    const split = size % R === 0;
    const per = split ? size / R : size;
    const m = this.cached(this.key('predict', per), () => compilePredictStep({ model: this.model, precision: this.precision, batch: per }));
    const n = x.length / size;
    const inputs = Array.from({ length: R }, (_, r) => new Map([[TRAIN_INPUTS.x, split ? x.subarray(r * per * n, (r + 1) * per * n) : x]] as const));
    const run = await this.device().run(m, inputs);
    const outs = (split ? run.outputs : run.outputs.slice(0, 1)).map((o) => o.get(0)!);
    const all = new Float32Array(outs.reduce((a, o) => a + o.length, 0));
    let at = 0;
    for (const o of outs) {
      all.set(o, at);
      at += o.length;
    }
    return all;
  }

  /**
   * What a checkpoint needs besides the weights: the optimizer step and every slot of every
   * trained weight (zeros before the first step), by `variableName(w, slot)`.
   */
  async exportState(): Promise<{ step: number; slots: Map<string, Float32Array> }> {
    const slots = new Map<string, Float32Array>();
    for (const w of this.model.trainableWeights) {
      for (const slot of this.optimizer.slots) {
        const name = variableName(w, slot);
        slots.set(name, (await this.dev?.getVariable(name)) ?? new Float32Array(w.value!.length));
      }
    }
    return { step: this.step, slots };
  }

  /** Restores an optimizer step and slots (a resumed run); the model's weights must hold the checkpoint's values. */
  async importState(state: { readonly step: number; readonly slots: ReadonlyMap<string, Float32Array> }): Promise<void> {
    await this.resetState();
    const d = this.device();
    for (const [name, value] of state.slots) d.setVariable(name, value);
    this.step = state.step;
  }

  /** The model's weights were replaced on the host (loaded): the device gets them at the next step; optimizer slots restart. */
  async resetState(): Promise<void> {
    this.weightsOnDevice = false;
    this.deviceAhead = false;
    await this.dev?.dropVariables(); // NOTE: clears what the device holds before its first await
  }
}

export type { BatchLike };
