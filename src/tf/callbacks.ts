/**
 * @module tf/callbacks
 * TensorFlow.js's training callbacks: the hooks a script passes to fit
 * (onTrainBegin/End, onEpochBegin/End, onBatchBegin/End, each may be async, with TF.js's
 * logs), `tf.callbacks.earlyStopping`, the `History` fit returns, and the per-epoch progress
 * line `verbose: 1` prints (as tfjs-node's ProgbarLogger: "Epoch 1 / 5", then the time per
 * step and the logs).
 *
 * Logs, as tfjs-layers gives them (the conformance test checks): onBatchEnd gets {batch,
 * size, loss, <metric keys>}; onEpochEnd {val_loss, val_<metric keys>, loss, <metric keys>};
 * the begin hooks and onTrainEnd get no keys. Imports ./errors.
 */
import { TfError } from './errors.ts';

/** Logs of a batch or an epoch, by TF.js's keys. */
export type Logs = Record<string, number>;

/** What fit tells its callbacks (TF.js's `params`). */
export interface FitParams {
  readonly epochs: number;
  readonly initialEpoch: number;
  /** Training examples (fit) or null (fitDataset). */
  readonly samples: number | null;
  /** Batches per epoch when known. */
  readonly steps: number | null;
  readonly batchSize: number | null;
  readonly verbose: number;
  readonly doValidation: boolean;
  readonly metrics: readonly string[];
}

/** The model a callback may stop (TF.js's `model.stopTraining`). */
export interface Stoppable {
  stopTraining: boolean;
}

/** A fit callback, as TF.js's CustomCallbackArgs (every hook optional, may return a promise). */
export interface CustomCallbackArgs {
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  /** Called with the model before training (TF.js's BaseCallback.setModel). */
  setModel?(model: Stoppable): void;
  /** Called with fit's parameters before training. */
  setParams?(params: FitParams): void;
}

/** The per-epoch logs fit returns, TF.js's `History`. */
export class History {
  /** 0-based epochs that ran. */
  readonly epoch: number[] = [];
  /** Each log key's value per epoch ('loss', 'acc', 'val_loss', 'val_acc', ...). */
  readonly history: Record<string, number[]> = {};
  /** Simulated device seconds per epoch (tpusim's; see the engine). */
  readonly deviceSeconds: number[] = [];
  params: FitParams | undefined = undefined;

  /** Records one epoch's logs. */
  record(epoch: number, logs: Logs, deviceSeconds: number): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
    this.deviceSeconds.push(deviceSeconds);
  }
}

type Hook = 'onTrainBegin' | 'onTrainEnd' | 'onEpochBegin' | 'onEpochEnd' | 'onBatchBegin' | 'onBatchEnd';
const HOOKS: readonly string[] = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onYield', 'setModel', 'setParams'];

/** fit's `callbacks` (one object or a list), each checked to be a callback. */
export function callbackList(call: string, spec: unknown): CustomCallbackArgs[] {
  if (spec === undefined) return [];
  const list = Array.isArray(spec) ? spec : [spec];
  return list.map((c, i) => {
    const where = Array.isArray(spec) ? `callbacks[${i}]` : 'callbacks';
    if (typeof c !== 'object' || c === null) throw new TfError(`${call}: ${where} must be an object of hooks like {onEpochEnd}, got ${String(c)}`);
    const hooks = Object.keys(c).filter((k) => typeof (c as Record<string, unknown>)[k] === 'function');
    const unknown = hooks.find((k) => k.startsWith('on') && !HOOKS.includes(k));
    if (unknown) throw new TfError(`${call}: ${where}.${unknown} is not a callback hook (TF.js's are ${HOOKS.slice(0, 7).join(', ')})`);
    return c as CustomCallbackArgs;
  });
}

/** Calls one hook on every callback, in order, awaiting each. */
export async function fire(list: readonly CustomCallbackArgs[], hook: Hook, ...args: [number, Logs] | [Logs]): Promise<void> {
  for (const c of list) {
    const f = c[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
    if (f) await f.apply(c, args);
  }
}

/** Options of `earlyStopping`, TF.js's names and defaults. */
export interface EarlyStoppingArgs {
  /** Default 'val_loss'. */
  readonly monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  readonly minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  readonly patience?: number;
  readonly verbose?: number;
  /** 'auto' (default): 'max' for accuracies, else 'min'. */
  readonly mode?: 'auto' | 'min' | 'max';
  /** Stop unless the monitored value beats this. */
  readonly baseline?: number;
  /** Not supported (TF.js refuses it too). */
  readonly restoreBestWeights?: boolean;
}

/** Stops fit when the monitored log stops improving (TF.js's EarlyStopping). */
export class EarlyStopping implements CustomCallbackArgs {
  readonly monitor: string;
  readonly patience: number;
  readonly baseline: number | undefined;
  private readonly better: (a: number, b: number) => boolean;
  private readonly minDelta: number;
  private model: Stoppable | undefined;
  private wait = 0;
  private best = 0;
  /** The 0-based epoch at which training was stopped, 0 when it was not. */
  stoppedEpoch = 0;

  constructor(args: EarlyStoppingArgs = {}) {
    if (args.restoreBestWeights) throw new TfError('tf.callbacks.earlyStopping: restoreBestWeights is not supported (TF.js does not have it either)');
    this.monitor = args.monitor ?? 'val_loss';
    this.patience = args.patience ?? 0;
    this.baseline = args.baseline;
    const mode = args.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw new TfError(`tf.callbacks.earlyStopping: mode '${mode}' must be 'auto', 'min' or 'max'`);
    const max = mode === 'max' || (mode === 'auto' && /acc/i.test(this.monitor));
    this.better = max ? (a, b) => a > b : (a, b) => a < b;
    this.minDelta = Math.abs(args.minDelta ?? 0) * (max ? 1 : -1);
  }
  setModel(model: Stoppable): void {
    this.model = model;
  }
  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.baseline ?? (this.better(0, 1) ? Infinity : -Infinity);
  }
  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) throw new TfError(`tf.callbacks.earlyStopping: fit logs have no '${this.monitor}' (they have ${Object.keys(logs).join(', ')})`);
    if (this.better(current - this.minDelta, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (++this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      if (this.model) this.model.stopTraining = true;
    }
  }
}

/** tf.callbacks. @example callbacks: tf.callbacks.earlyStopping({ monitor: 'val_acc', patience: 2 }) */
export const callbacks = {
  earlyStopping: (args: EarlyStoppingArgs = {}): EarlyStopping => new EarlyStopping(args),
};

/** Where progress goes: a stream's write, and whether it redraws one line in place (a terminal). */
export interface ProgressOutput {
  write(text: string): void;
  readonly tty: boolean;
}

const BAR_WIDTH = 30;

/**
 * verbose 1, as tfjs-node's ProgbarLogger: "Epoch e / n"; on a terminal a bar redrawn after
 * every batch (done/steps, the batch's logs); at the epoch end the time, the time per step
 * and the epoch's logs (training keys first, then val_*).
 */
export function progressLogger(out: ProgressOutput = { write: (t) => void process.stdout.write(t), tty: process.stdout.isTTY === true }): CustomCallbackArgs {
  let params: FitParams | undefined;
  let started = 0;
  let steps = 0;
  const show = (logs: Logs): string =>
    Object.entries(logs)
      .filter(([k]) => k !== 'batch' && k !== 'size')
      .sort(([a], [b]) => Number(a.startsWith('val_')) - Number(b.startsWith('val_')))
      .map(([k, v]) => `${k}=${v.toPrecision(4)}`)
      .join(' ');
  const bar = (done: number, total: number | null): string => {
    if (total === null) return `${done} batches`;
    const filled = Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * done) / Math.max(1, total)));
    return `[${'='.repeat(filled)}${filled < BAR_WIDTH ? '>' : ''}${' '.repeat(Math.max(0, BAR_WIDTH - filled - 1))}] ${done}/${total}`;
  };
  return {
    setParams: (p) => void (params = p),
    onEpochBegin: (epoch) => {
      [started, steps] = [performance.now(), 0];
      out.write(`Epoch ${epoch + 1} / ${params?.epochs ?? '?'}\n`);
    },
    onBatchEnd: (_batch, logs = {}) => {
      steps++;
      if (out.tty) out.write(`\r${bar(steps, params?.steps ?? null)} ${show(logs)}\x1b[K`);
    },
    onEpochEnd: (_epoch, logs = {}) => {
      const ms = performance.now() - started;
      out.write(`${out.tty ? '\r\x1b[K' : ''}${ms.toFixed(0)}ms ${((1000 * ms) / Math.max(1, steps)).toFixed(0)}us/step - ${show(logs)}\n`);
    },
  };
}
