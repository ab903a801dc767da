/**
 * @module cli/train-limits
 * `tpusim train`'s memory, checked from shapes before anything is created or trained: the
 * model's weights are counted before they are allocated, and the training step's HBM per
 * core is bounded from below (xla/hbm-bound.ts: what is in HBM before the step plus its
 * largest value, for plain SGD, the optimizer with no slots): one core's bound against a
 * simulated core's HBM, and all cores' (each simulated core keeps its HBM on the host)
 * against the host memory limit. When the bound comes near the host limit (past 1/16 of
 * it), the step is lowered for one core, as training will, and the lowering's own HBM figure
 * is checked the same way (at 192 px the bound is 0.03 GiB per core and nothing is lowered;
 * at 1024 px the lowered step holds 2.6 GiB per core: 21 GiB on 8 cores).
 *
 * Imports layers (losses, optimizers, the training step), xla (compile, the bound), ./limits.
 */
import { LOSSES, sgd, type Model } from '../layers/index.ts';
// NOTE: compileTrainStep is not on layers' public surface yet (as in ./compile.ts).
import { compileTrainStep } from '../layers/step.ts';
import type { Precision } from '../mxu/config.ts';
import { DEFAULT_CORE_CONFIG } from '../tpu/index.ts';
import { compile, hbmLowerBound, kernelBudgetValues, lower, planLowering } from '../xla/index.ts';
import { CORE_HBM, checkFits, formatBytes, hostMemory, presetWithin } from './limits.ts';

/** The settings the check needs (a subset of cli/run-dir's RunSettings). */
export interface TrainShape {
  readonly model: string;
  readonly imageSize: number;
  readonly cores: number;
  readonly batchPerCore: number;
  readonly precision: string;
  readonly seed: number;
}

/**
 * Throws a UsageError, with the estimate and the limit, when a training run of these
 * settings cannot fit a simulated core's HBM or the host's memory.
 */
export function checkTrainFits(s: TrainShape, built?: () => Model): void {
  const host = hostMemory();
  // a model not made from a preset (transfer learning's, over a loaded backbone) has its weights already
  const model = built
    ? built()
    : presetWithin(s.model, { imageSize: s.imageSize, seed: s.seed }, [
        { limit: CORE_HBM, copies: 1, madeOf: 'f32 weights on each core' },
        { limit: host, copies: s.cores + 1, madeOf: `f32 weights on each of ${s.cores} simulated cores and the model's own` },
      ]);
  const step = compileTrainStep({ model, loss: LOSSES.sparseCategoricalCrossentropy, optimizer: sgd(), precision: s.precision as Precision, batch: s.batchPerCore, replicas: s.cores });
  const compiled = compile(step.module).module;
  const b = hbmLowerBound(compiled);
  const largest = b.largest ? `, plus its largest value [${b.largest.shape.dims.join(', ')}] ${formatBytes(b.largestBytes)}` : '';
  const madeOf = `at least: weights, batch and labels ${formatBytes(b.residentBytes)}${largest}`;
  const subject = `training ${s.model} at ${s.imageSize} px, ${s.batchPerCore} images per core`;
  checkFits(`${subject}: each core`, b.bytes, CORE_HBM, madeOf);
  checkFits(`${subject} on ${s.cores} simulated cores`, s.cores * b.bytes, host, `${s.cores} x ${formatBytes(b.bytes)}, each core ${madeOf}`);
  if (s.cores * b.bytes <= host.bytes * LOWER_ABOVE) return;
  // big enough to matter: the lowering's own figure (seconds at 1024 px; small runs skip it)
  const lowered = lower(compiled, { plan: planLowering(compiled, { budget: kernelBudgetValues(DEFAULT_CORE_CONFIG), core: DEFAULT_CORE_CONFIG }) });
  const h = lowered.memory.hbm;
  const held = `the lowered step's HBM per core: weights and batch ${formatBytes(h.parameters + h.variables)}, scratch ${formatBytes(h.scratch)}`;
  checkFits(`${subject}: each core`, h.total, CORE_HBM, held);
  checkFits(`${subject} on ${s.cores} simulated cores`, s.cores * h.total, host, `${s.cores} x ${formatBytes(h.total)}, ${held}`);
}

/** Share of the host limit above which the step is lowered to measure its memory (the bound is 3 to 5 times under it). */
const LOWER_ABOVE = 1 / 16;
