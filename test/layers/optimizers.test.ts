/**
 * Optimizer updates against Keras's update rules written out here in float64 (an independent
 * reference: plain arithmetic on numbers, no HLO): several steps in a row, so the slots carry
 * from step to step, with the default hyperparameters of each named optimizer and with
 * non-default ones. The HLO update runs in the reference interpreter (f32), fed the per-step
 * rate `stepRate(step, schedule(step))` as training feeds it.
 *
 * Tolerance: each f32 op rounds with relative error 2^-24; an update is at most ~10 ops deep,
 * so the new weight is within ~1e-6 of the f64 value relative to the magnitudes involved
 * (|w| + |delta|), and a slot relative to its own terms. 1e-5 of those leaves a margin of 10;
 * a wrong constant (1 + b1 for 1 - b1, a missing bias correction, momentum 0 for 0.9) moves
 * the result by 1e-3 or more of the step.
 */
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import { OPTIMIZERS, adam, momentum, optimizerOf, rmsprop, sgd, type Optimizer } from '../../src/layers/optimizers.ts';
import { uniformList } from './seeded.ts';

/** The f64 reference state of one weight: w and its slots by name. */
type State = { w: number[]; slots: Record<string, number[]> };

interface Rule {
  readonly slots: readonly string[];
  /** Keras's lr for the step (adam: the bias-corrected lr_t). */
  readonly rate: (step: number, lr: number) => number;
  /** One element's update: new w and new slot values (in `slots` order). */
  readonly update: (w: number, g: number, slots: readonly number[], lr: number) => { w: number; slots: number[] };
}

/** Keras (TF2) rules, from the optimizers' documented formulas. */
const sgdRule = (m: number, nesterov: boolean): Rule =>
  m === 0
    ? { slots: [], rate: (_s, lr) => lr, update: (w, g, _s, lr) => ({ w: w - lr * g, slots: [] }) }
    : {
        slots: ['momentum'],
        rate: (_s, lr) => lr,
        update: (w, g, [v0], lr) => {
          const v = m * v0! - lr * g;
          return { w: nesterov ? w + m * v - lr * g : w + v, slots: [v] };
        },
      };
const adamRule = (b1: number, b2: number, eps: number): Rule => ({
  slots: ['m', 'v'],
  rate: (step, lr) => (lr * Math.sqrt(1 - b2 ** (step + 1))) / (1 - b1 ** (step + 1)),
  update: (w, g, [m0, v0], lrT) => {
    const m = b1 * m0! + (1 - b1) * g;
    const v = b2 * v0! + (1 - b2) * g * g;
    return { w: w - (lrT * m) / (Math.sqrt(v) + eps), slots: [m, v] };
  },
});
const rmspropRule = (rho: number, eps: number): Rule => ({
  slots: ['ms'],
  rate: (_s, lr) => lr,
  update: (w, g, [ms0], lr) => {
    const ms = rho * ms0! + (1 - rho) * g * g;
    return { w: w - (lr * g) / (Math.sqrt(ms) + eps), slots: [ms] };
  },
});

/** Runs `steps` updates of `opt` in the interpreter and of `rule` in f64; checks every step. */
function checkAgainstReference(opt: Optimizer, rule: Rule, o: { lr: number; steps: number; seed: number; n?: number; gScale?: number }): void {
  const n = o.n ?? 37;
  expect(opt.slots).toEqual(rule.slots);
  const b = new XlaBuilder('update');
  const w = b.parameter(0, f32([n]), 'w');
  const g = b.parameter(1, f32([n]), 'g');
  const lr = b.parameter(2, f32([]), 'lr');
  const slots = opt.slots.map((s, j) => b.parameter(3 + j, f32([n]), s));
  const r = opt.update(b, { w, g, slots, lr });
  const module = b.build([r.w, ...r.slots]);
  let ours = { w: uniformList(n, o.seed), slots: opt.slots.map(() => new Array<number>(n).fill(0)) };
  const ref: State = { w: [...ours.w], slots: Object.fromEntries(rule.slots.map((s) => [s, new Array<number>(n).fill(0)])) };
  for (let step = 0; step < o.steps; step++) {
    const grad = uniformList(n, o.seed * 31 + step + 1, -(o.gScale ?? 1), o.gScale ?? 1);
    const rate = opt.stepRate(step, o.lr);
    expect(rate).toBeCloseTo(rule.rate(step, o.lr), 12);
    const [nw, ...ns] = evaluate(module, [ours.w, grad, [Math.fround(rate)], ...ours.slots]);
    ours = { w: Array.from(nw!.data), slots: ns.map((s) => Array.from(s.data)) };
    for (let i = 0; i < n; i++) {
      const before = ref.w[i]!;
      const next = rule.update(before, grad[i]!, rule.slots.map((s) => ref.slots[s]![i]!), Math.fround(rate));
      const scale = Math.abs(before) + Math.abs(next.w - before);
      expect(Math.abs(ours.w[i]! - next.w), `step ${step} w[${i}]: ${ours.w[i]} vs ${next.w}`).toBeLessThanOrEqual(1e-5 * scale + 1e-30);
      rule.slots.forEach((s, j) => {
        const got = ours.slots[j]![i]!;
        expect(Math.abs(got - next.slots[j]!), `step ${step} ${s}[${i}]: ${got} vs ${next.slots[j]}`).toBeLessThanOrEqual(1e-5 * Math.abs(next.slots[j]!) + 1e-30);
        ref.slots[s]![i] = next.slots[j]!;
      });
      // the reference continues from the f32 state, so rounding does not build up over steps
      ref.w[i] = ours.w[i]!;
      rule.slots.forEach((s, j) => (ref.slots[s]![i] = ours.slots[j]![i]!));
    }
  }
}

describe('optimizer updates == Keras rules in float64, over several steps', () => {
  it('sgd: w -= lr g (default lr 0.01)', () => {
    const opt = OPTIMIZERS.sgd();
    expect(opt.name).toBe('sgd');
    expect(opt.schedule(0, 0)).toBe(0.01);
    checkAgainstReference(opt, sgdRule(0, false), { lr: opt.schedule(0, 0), steps: 3, seed: 1 });
    checkAgainstReference(sgd({ learningRate: 0.5 }), sgdRule(0, false), { lr: 0.5, steps: 2, seed: 2 });
  });

  it('momentum: v = m v - lr g, w += v (default m 0.9, lr 0.01)', () => {
    const opt = OPTIMIZERS.momentum();
    expect(opt.name).toBe('momentum');
    expect(opt.schedule(0, 0)).toBe(0.01);
    checkAgainstReference(opt, sgdRule(0.9, false), { lr: 0.01, steps: 4, seed: 3 });
    checkAgainstReference(momentum({ momentum: 0.5, learningRate: 0.1 }), sgdRule(0.5, false), { lr: 0.1, steps: 4, seed: 4 });
    checkAgainstReference(sgd({ momentum: 0.7, learningRate: 0.2 }), sgdRule(0.7, false), { lr: 0.2, steps: 3, seed: 5 });
  });

  it('nesterov: v = m v - lr g, w += m v - lr g', () => {
    const opt = OPTIMIZERS.nesterov();
    expect(opt.name).toBe('sgd-nesterov');
    checkAgainstReference(opt, sgdRule(0.9, true), { lr: 0.01, steps: 4, seed: 6 });
    checkAgainstReference(sgd({ momentum: 0.6, nesterov: true, learningRate: 0.3 }), sgdRule(0.6, true), { lr: 0.3, steps: 3, seed: 7 });
  });

  it('adam: bias-corrected lr_t, m and v (defaults lr 0.001, 0.9, 0.999, 1e-7)', () => {
    const opt = OPTIMIZERS.adam();
    expect(opt.name).toBe('adam');
    expect(opt.schedule(0, 0)).toBe(0.001);
    checkAgainstReference(opt, adamRule(0.9, 0.999, 1e-7), { lr: 0.001, steps: 5, seed: 8 });
    // small gradients: epsilon is a visible part of the denominator
    checkAgainstReference(adam({ learningRate: 0.05, beta1: 0.5, beta2: 0.75, epsilon: 1e-3 }), adamRule(0.5, 0.75, 1e-3), { lr: 0.05, steps: 4, seed: 9, gScale: 1e-3 });
  });

  it('rmsprop: ms = rho ms + (1 - rho) g^2, w -= lr g / (sqrt ms + eps) (defaults lr 0.001, 0.9, 1e-7)', () => {
    const opt = OPTIMIZERS.rmsprop();
    expect(opt.name).toBe('rmsprop');
    expect(opt.schedule(0, 0)).toBe(0.001);
    checkAgainstReference(opt, rmspropRule(0.9, 1e-7), { lr: 0.001, steps: 4, seed: 10 });
    checkAgainstReference(rmsprop({ learningRate: 0.02, rho: 0.6, epsilon: 1e-3 }), rmspropRule(0.6, 1e-3), { lr: 0.02, steps: 3, seed: 11, gScale: 1e-3 });
  });

  it('optimizerOf: a name gives the defaults, an object is used as it is, an unknown name lists the valid ones', () => {
    expect(optimizerOf('adam').name).toBe('adam');
    const own = rmsprop({ rho: 0.5 });
    expect(optimizerOf(own)).toBe(own);
    expect(() => optimizerOf('adagrad')).toThrow(/unknown optimizer 'adagrad'; valid: sgd, momentum, nesterov, adam, rmsprop/);
  });
});
