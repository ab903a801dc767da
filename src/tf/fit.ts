/**
 * @module tf/fit
 * The epoch loop behind `model.fit(x, y, ...)` and `model.fitDataset(ds, ...)`, with
 * TensorFlow.js's semantics: per epoch, batches in order (shuffled when asked), callbacks
 * around every batch and epoch with tfjs-layers' logs (./callbacks.ts), epoch logs that are
 * example-weighted means ('val_loss', 'val_<metric>' from an evaluation in inference mode,
 * then 'loss' and the metric keys, in tfjs-layers' order), and
 * `stopTraining` honoured after every batch. Each step runs through the model's compiled
 * Trainer (../layers/training.ts) on the simulated TPU: one SPMD step per global batch.
 *
 * Also: batching tensors ([N, ...] rows gathered by index) and evaluation over batches.
 * A NaN or infinite loss stops training with its epoch and step (DESIGN.md's errors).
 *
 * Imports ../layers (Trainer, batches, errors), ./callbacks, ./names (types).
 */
import { NaNLossError, type Model, type Trainer } from '../layers/index.ts';
import { batchOf, type Batch, type BatchLike } from '../layers/batches.ts';
import { fire, History, type CustomCallbackArgs, type FitParams, type Logs, type Stoppable } from './callbacks.ts';
import type { Metric } from './names.ts';

/** Batches of one pass, as a dataset or tensors give them. */
export type Batches = AsyncIterable<BatchLike> | Iterable<BatchLike>;

/** What the loop needs. */
export interface LoopSpec {
  readonly model: Model;
  readonly trainer: Trainer;
  readonly metrics: readonly Metric[];
  /** Set by callbacks (EarlyStopping) to end training. */
  readonly owner: Stoppable;
  readonly epochs: number;
  readonly initialEpoch: number;
  readonly callbacks: readonly CustomCallbackArgs[];
  readonly params: FitParams;
  /** The training batches of an epoch. */
  train(epoch: number): Batches;
  /** The validation batches (evaluated at each epoch end), if any. */
  readonly validation?: () => Batches;
  /** Most batches per epoch (fitDataset's batchesPerEpoch). */
  readonly batchesPerEpoch?: number;
  /** Most validation batches per evaluation (fitDataset's validationBatches). */
  readonly validationBatches?: number;
}

/** A dataset element or a gathered batch, converted for the model's step. */
export function toBatch(model: Model, trainer: Trainer, e: BatchLike): Batch {
  const classes = model.outputShape[model.outputShape.length - 1] as number;
  return batchOf(e, { inputShape: model.inputShape, classes, labels: trainer.loss.labels });
}

/** Example-weighted sums of loss and correct counts. */
export class Mean {
  loss = 0;
  correct = 0;
  topK = 0;
  seen = 0;
  add(r: { loss: number; correct: number; topKCorrect?: number }, size: number): void {
    [this.loss, this.correct, this.topK, this.seen] = [this.loss + r.loss * size, this.correct + r.correct, this.topK + (r.topKCorrect ?? 0), this.seen + size];
  }
  /** Logs named with `prefix` ('' or 'val_'). */
  logs(metrics: readonly Metric[], prefix = ''): Logs {
    const out: Logs = { [`${prefix}loss`]: this.loss / this.seen };
    for (const m of metrics) out[`${prefix}${m.key}`] = metricValue(m, this.correct, this.topK, this.seen);
    return out;
  }
}

/** A metric's value from argmax hits and top-k hits over `seen` examples. */
export function metricValue(m: Metric, correct: number, topK: number, seen: number): number {
  return (m.k !== undefined ? topK : correct) / seen;
}

/** Runs the epochs; returns the History (the device's weights are back in the model after). */
export async function fitLoop(s: LoopSpec): Promise<History> {
  const { trainer, callbacks: cbs } = s;
  const history = new History();
  history.params = s.params;
  for (const c of cbs) {
    c.setModel?.(s.owner);
    c.setParams?.(s.params);
  }
  s.owner.stopTraining = false;
  trainer.beginFit();
  let ok = false;
  try {
    await fire(cbs, 'onTrainBegin', {});
    for (let epoch = s.initialEpoch; epoch < s.epochs && !s.owner.stopTraining; epoch++) {
      await fire(cbs, 'onEpochBegin', epoch, {});
      const mean = new Mean();
      let [step, device] = [0, 0];
      for await (const e of s.train(epoch)) {
        if (s.batchesPerEpoch !== undefined && step >= s.batchesPerEpoch) break;
        const batch = toBatch(s.model, trainer, e);
        await fire(cbs, 'onBatchBegin', step, {}); // NOTE: tfjs-layers gives custom callbacks no batch logs here
        const r = await trainer.trainStep(batch, epoch);
        if (!Number.isFinite(r.loss)) throw new NaNLossError(epoch + 1, step + 1, r.loss);
        mean.add(r, batch.size);
        device += r.deviceSeconds;
        const logs: Logs = { batch: step, size: batch.size, loss: r.loss };
        for (const m of s.metrics) logs[m.key] = metricValue(m, r.correct, r.topKCorrect ?? 0, batch.size);
        await fire(cbs, 'onBatchEnd', step, logs);
        step++;
        if (s.owner.stopTraining) break;
      }
      await trainer.syncWeights();
      let logs = mean.logs(s.metrics);
      if (s.validation) {
        const v = await evaluateBatches(s.model, trainer, s.validation(), s.validationBatches);
        // NOTE: validation keys first, as tfjs-layers orders an epoch's logs (and so its History)
        logs = { ...v.mean.logs(s.metrics, 'val_'), ...logs };
        device += v.deviceSeconds;
      }
      history.record(epoch, logs, device);
      await fire(cbs, 'onEpochEnd', epoch, logs);
    }
    await fire(cbs, 'onTrainEnd', {});
    ok = true;
    return history;
  } finally {
    await trainer.endFit(true).catch((err: unknown) => {
      if (ok) throw err;
    });
  }
}

/** Loss and correct counts over batches, inference mode. */
export async function evaluateBatches(model: Model, trainer: Trainer, batches: Batches, limit?: number): Promise<{ mean: Mean; deviceSeconds: number }> {
  const mean = new Mean();
  let [n, device] = [0, 0];
  for await (const e of batches) {
    if (limit !== undefined && n >= limit) break;
    const batch = toBatch(model, trainer, e);
    const r = await trainer.evalBatch(batch);
    mean.add(r, batch.size);
    device += r.deviceSeconds;
    n++;
  }
  return { mean, deviceSeconds: device };
}

/** Examples as rows: x [N, ...] with `perX` values per row, y [N, ...] with `perY`. */
export interface TensorRows {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly perX: number;
  readonly perY: number;
}

/** Rows of x [N, ...] (`perX` values each) and y [N, ...] (`perY` each) gathered by `order`, in batches of `batchSize`. */
export function* tensorBatches(d: TensorRows, order: readonly number[], batchSize: number): Generator<BatchLike> {
  const { x, y, perX, perY } = d;
  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    const xs = new Float32Array(idx.length * perX);
    const ys = new Float32Array(idx.length * perY);
    idx.forEach((r, i) => {
      xs.set(x.subarray(r * perX, (r + 1) * perX), i * perX);
      ys.set(y.subarray(r * perY, (r + 1) * perY), i * perY);
    });
    yield { xs, ys };
  }
}
