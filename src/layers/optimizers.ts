/**
 * @module layers/optimizers
 * Optimizers as HLO update computations, Keras's rules (TF2) and defaults:
 * - sgd:      w -= lr * g; with momentum m: v = m v - lr g; w += v (Nesterov: w += m v - lr g)
 * - adam:     m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *             w -= lr_t m / (sqrt v + eps), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
 * - rmsprop:  ms = rho ms + (1 - rho) g^2; w -= lr g / (sqrt ms + eps)
 * Slots (momentum, m, v, ms) start at zero and live as f32 arguments/outputs of the step.
 * The per-step scalars (lr, and adam's bias-corrected lr_t) are computed on the host from
 * the schedule and fed as one scalar argument, so the compiled step never changes.
 *
 * Imports xla (builder), ./schedules, ./errors.
 */
import type { Op, XlaBuilder } from '../xla/index.ts';
import { lookup } from './errors.ts';
import { scheduleOf, type Schedule } from './schedules.ts';

/** One optimizer: its slots and its update rule. */
export interface Optimizer {
  readonly name: string;
  /** Learning rate by step/epoch. */
  readonly schedule: Schedule;
  /** Names of the per-weight slots (each of the weight's shape). */
  readonly slots: readonly string[];
  /** The scalar fed to the step as `lr` at 0-based `step` for rate `lr` (adam folds in its bias correction). */
  stepRate(step: number, lr: number): number;
  /** Emits the new weight and new slots. */
  update(b: XlaBuilder, o: { w: Op; g: Op; slots: readonly Op[]; lr: Op }): { w: Op; slots: Op[] };
}

/** Options of `sgd`. */
export interface SgdArgs {
  readonly learningRate?: number | Schedule;
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

/** Plain SGD, or with momentum (and Nesterov). Default lr 0.01. */
export function sgd(a: SgdArgs = {}): Optimizer {
  const schedule = scheduleOf(a.learningRate ?? 0.01);
  const m = a.momentum ?? 0;
  return {
    name: m > 0 ? (a.nesterov ? 'sgd-nesterov' : 'momentum') : 'sgd',
    schedule,
    slots: m > 0 ? ['momentum'] : [],
    stepRate: (_step, lr) => lr,
    update(b, { w, g, slots, lr }) {
      const step = b.multiply(g, lr);
      if (m === 0) return { w: b.subtract(w, step), slots: [] };
      const v = b.subtract(b.multiply(slots[0]!, m), step);
      const delta = a.nesterov ? b.subtract(b.multiply(v, m), step) : v;
      return { w: b.add(w, delta), slots: [v] };
    },
  };
}

/** SGD with momentum (default 0.9), as the codelab's `momentum` optimizer. */
export function momentum(a: SgdArgs = {}): Optimizer {
  return sgd({ ...a, momentum: a.momentum ?? 0.9 });
}

/** Options of `adam`. */
export interface AdamArgs {
  readonly learningRate?: number | Schedule;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** Adam with Keras's defaults (lr 0.001, 0.9, 0.999, 1e-7). */
export function adam(a: AdamArgs = {}): Optimizer {
  const schedule = scheduleOf(a.learningRate ?? 0.001);
  const [b1, b2, eps] = [a.beta1 ?? 0.9, a.beta2 ?? 0.999, a.epsilon ?? 1e-7];
  return {
    name: 'adam',
    schedule,
    slots: ['m', 'v'],
    stepRate: (step, lr) => {
      const t = step + 1;
      return (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    },
    update(b, { w, g, slots, lr }) {
      const m = b.add(b.multiply(slots[0]!, b1), b.multiply(g, 1 - b1));
      const v = b.add(b.multiply(slots[1]!, b2), b.multiply(b.multiply(g, g), 1 - b2));
      const step = b.divide(b.multiply(m, lr), b.add(b.sqrt(v), eps));
      return { w: b.subtract(w, step), slots: [m, v] };
    },
  };
}

/** Options of `rmsprop`. */
export interface RmspropArgs {
  readonly learningRate?: number | Schedule;
  readonly rho?: number;
  readonly epsilon?: number;
}

/** RMSprop with Keras's defaults (lr 0.001, rho 0.9, 1e-7). */
export function rmsprop(a: RmspropArgs = {}): Optimizer {
  const schedule = scheduleOf(a.learningRate ?? 0.001);
  const [rho, eps] = [a.rho ?? 0.9, a.epsilon ?? 1e-7];
  return {
    name: 'rmsprop',
    schedule,
    slots: ['ms'],
    stepRate: (_step, lr) => lr,
    update(b, { w, g, slots, lr }) {
      const ms = b.add(b.multiply(slots[0]!, rho), b.multiply(b.multiply(g, g), 1 - rho));
      return { w: b.subtract(w, b.divide(b.multiply(g, lr), b.add(b.sqrt(ms), eps))), slots: [ms] };
    },
  };
}

/** Optimizers by name, with their default settings. */
export const OPTIMIZERS = {
  sgd: () => sgd(),
  momentum: () => momentum(),
  nesterov: () => momentum({ nesterov: true }),
  adam: () => adam(),
  rmsprop: () => rmsprop(),
} as const satisfies Record<string, () => Optimizer>;

/** An optimizer by name (defaults) or object; an unknown name lists the valid ones. */
export function optimizerOf(spec: string | Optimizer): Optimizer {
  return typeof spec === 'string' ? lookup<() => Optimizer>(OPTIMIZERS, spec, 'optimizer')() : spec;
}
