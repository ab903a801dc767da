/**
 * @module layers/schedules
 * Learning-rate schedules: a constant, Keras's ExponentialDecay (per optimizer step), and a
 * per-epoch function as the codelab's ramp-up / exponential decay (`LearningRateScheduler`).
 * A schedule is evaluated on the host once per step and fed to the compiled step as a
 * scalar argument, so changing the rate never recompiles.
 *
 * Imports ./errors.
 */
import { LayerConfigError } from './errors.ts';

/** The learning rate at a 0-based optimizer step and 0-based epoch. */
export type Schedule = (step: number, epoch: number) => number;

/** Options of `exponentialDecay` (Keras's names). */
export interface ExponentialDecayArgs {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  /** Decay in whole intervals (floor(step / decaySteps)). Default false. */
  readonly staircase?: boolean;
}

/** lr = initial * decayRate ^ (step / decaySteps). */
export function exponentialDecay(a: ExponentialDecayArgs): Schedule {
  if (!(a.decaySteps > 0)) throw new LayerConfigError(`exponentialDecay decaySteps must be positive, got ${a.decaySteps}`);
  return (step) => {
    const p = step / a.decaySteps;
    return a.initialLearningRate * a.decayRate ** (a.staircase ? Math.floor(p) : p);
  };
}

/** A per-epoch schedule from a function of the 0-based epoch (Keras's LearningRateScheduler). */
export function perEpoch(fn: (epoch: number) => number): Schedule {
  return (_step, epoch) => fn(epoch);
}

/**
 * The codelab's schedule: linear ramp-up from `start` to `max` over `rampupEpochs`, hold for
 * `sustainEpochs`, then exponential decay by `decay` per epoch towards `min`.
 */
export function rampUpDecay(o: { start: number; max: number; min: number; rampupEpochs: number; sustainEpochs: number; decay: number }): Schedule {
  return perEpoch((epoch) => {
    if (epoch < o.rampupEpochs) return ((o.max - o.start) / o.rampupEpochs) * epoch + o.start;
    if (epoch < o.rampupEpochs + o.sustainEpochs) return o.max;
    return (o.max - o.min) * o.decay ** (epoch - o.rampupEpochs - o.sustainEpochs) + o.min;
  });
}

/** A schedule from a number or a schedule. */
export function scheduleOf(lr: number | Schedule): Schedule {
  if (typeof lr === 'function') return lr;
  if (!(lr > 0) || !Number.isFinite(lr)) throw new LayerConfigError(`learning rate must be a positive number, got ${lr}`);
  return () => lr;
}
