/**
 * @module layers/fit
 * The epoch loop of `fit`, and `evaluate`/`predict` over datasets. Datasets are any
 * (async) iterables of batches; with `stepsPerEpoch` the loop takes exactly that many
 * batches per epoch, starting the dataset again when it runs out (TF.js ignores the
 * option; Keras honours it). Losses are the mean of the step losses; accuracy the correct
 * count over the examples seen.
 *
 * Imports ./training, ./batches, ./errors, ./model (type).
 */
import { loadavg } from 'node:os';
import { batchOf, type Batch, type BatchLike } from './batches.ts';
import { LayerConfigError, NaNLossError } from './errors.ts';
import type { Model } from './model.ts';
import type { FitArgs, History, Logs, Trainer } from './training.ts';

type Source = AsyncIterable<BatchLike> | Iterable<BatchLike>;

/** Pulls batches from a source, restarting it when it ends (never restarting an empty one). */
class Feed {
  private it: AsyncIterator<BatchLike> | Iterator<BatchLike> | undefined;
  constructor(
    private readonly source: Source,
    private readonly convert: (e: BatchLike) => Batch,
    /** What the data is, for errors: 'training data' or 'validation data'. */
    private readonly what: string,
  ) {}
  private open(): AsyncIterator<BatchLike> | Iterator<BatchLike> {
    return Symbol.asyncIterator in this.source ? this.source[Symbol.asyncIterator]() : (this.source as Iterable<BatchLike>)[Symbol.iterator]();
  }
  /** The next batch; undefined at the end of a pass when `restart` is false. */
  async next(restart: boolean): Promise<Batch | undefined> {
    this.it ??= this.open();
    let r = await this.it.next();
    if (r.done) {
      this.it = undefined;
      if (!restart) return undefined;
      this.it = this.open();
      r = await this.it.next();
      if (r.done) throw new LayerConfigError(`the ${this.what} yields no batches (fewer examples than one batch?)`);
    }
    return this.convert(r.value);
  }
}

function converter(m: Model, t: Trainer): (e: BatchLike) => Batch {
  const classes = m.outputShape[m.outputShape.length - 1] as number;
  return (e) => batchOf(e, { inputShape: m.inputShape, classes, labels: t.loss.labels });
}

/**
 * Runs the epochs of fit. The strategy's worker threads (if any) start during fit
 * (./replica-host.ts) and stop when fit returns or throws; the model's weights come back
 * from them at every epoch end (before the callbacks see them) and when fit ends.
 */
export async function runFit(m: Model, t: Trainer, data: Source, a: FitArgs): Promise<History> {
  t.beginFit();
  let ok = false;
  try {
    const h = await epochLoop(m, t, data, a);
    ok = true;
    return h;
  } finally {
    // NOTE: after an error the weights are still brought back when the workers can, so the
    // model holds the same bits whatever the thread count (e.g. after a NaN loss).
    await t.endFit(true).catch((err: unknown) => {
      if (ok) throw err;
    });
  }
}

async function epochLoop(m: Model, t: Trainer, data: Source, a: FitArgs): Promise<History> {
  const epochs = a.epochs ?? 1;
  const hostLoad: number[] = [];
  const h: History = { epoch: [], history: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] }, deviceSeconds: [], hostSeconds: [], steps: [], hostLoad };
  const feed = new Feed(data, converter(m, t), 'training data');
  let fitStep = 0;
  for (let epoch = a.initialEpoch ?? 0; epoch < epochs; epoch++) {
    const started = performance.now();
    let lr: number | undefined;
    for (const c of a.callbacks ?? []) c.onEpochBegin?.(epoch, { setLearningRate: (v) => void (lr = v) });
    let [lossSum, correct, seen, steps, device] = [0, 0, 0, 0, 0];
    for (;;) {
      if (a.stepsPerEpoch !== undefined && steps >= a.stepsPerEpoch) break;
      const batch = await feed.next(a.stepsPerEpoch !== undefined || steps === 0);
      if (!batch) break;
      const profile = fitStep === a.profileStep;
      const r = await t.trainStep(batch, epoch, lr, { profile });
      if (!Number.isFinite(r.loss)) throw new NaNLossError(epoch + 1, steps + 1, r.loss);
      [lossSum, correct, seen, steps, device] = [lossSum + r.loss, correct + r.correct, seen + batch.size, steps + 1, device + r.deviceSeconds];
      for (const c of a.callbacks ?? []) {
        c.onBatchEnd?.(steps - 1, { loss: r.loss, correct: r.correct, examples: batch.size });
        if (r.profile) c.onStepProfile?.(fitStep, r.profile);
      }
      fitStep++;
    }
    await t.syncWeights();
    const logs: Logs = { loss: lossSum / steps, accuracy: correct / seen };
    if (a.validationData) {
      const v = await runEvaluate(m, t, a.validationData, a.validationSteps, 'validation data');
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
      device += v.deviceSeconds;
      h.history.val_loss.push(v.loss);
      h.history.val_accuracy.push(v.accuracy);
    }
    h.epoch.push(epoch);
    h.history.loss.push(logs.loss);
    h.history.accuracy.push(logs.accuracy!);
    h.deviceSeconds.push(device);
    h.hostSeconds.push((performance.now() - started) / 1000);
    h.steps.push(steps);
    hostLoad.push(loadavg()[0]!);
    for (const c of a.callbacks ?? []) await c.onEpochEnd?.(epoch, logs, h);
  }
  return h;
}

/** Mean loss and accuracy over `steps` batches (default: one pass). */
export async function runEvaluate(m: Model, t: Trainer, data: Source, steps?: number, what = 'evaluation data'): Promise<{ loss: number; accuracy: number; deviceSeconds: number }> {
  const feed = new Feed(data, converter(m, t), what);
  let [loss, correct, seen, n, device] = [0, 0, 0, 0, 0];
  for (;;) {
    if (steps !== undefined && n >= steps) break;
    const batch = await feed.next(steps !== undefined || n === 0);
    if (!batch) break;
    const r = await t.evalBatch(batch);
    [loss, correct, seen, n, device] = [loss + r.loss * batch.size, correct + r.correct, seen + batch.size, n + 1, device + r.deviceSeconds];
  }
  return { loss: loss / seen, accuracy: correct / seen, deviceSeconds: device };
}
