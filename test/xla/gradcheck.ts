/**
 * Finite-difference gradient checks (JAX's check_grads, reverse mode): the directional
 * derivative <grad L(x), v> from autodiff against the central difference
 * (L(x + h v) - L(x - h v)) / 2h along a random direction v, for L = sum(f(x) * R) with a
 * fixed random R (so every output element matters).
 */
import { expect } from 'vitest';
import { XlaBuilder, type Op } from '../../src/xla/builder.ts';
import { gradModule } from '../../src/xla/autodiff.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import type { Shape } from '../../src/xla/hlo.ts';
import { sizeOf } from '../../src/xla/ops/index.ts';
import { Rng } from './random-graph.ts';

/** A function of parameters to check: builds its output from the parameter ops. */
export interface GradCase {
  readonly params: readonly Shape[];
  readonly build: (b: XlaBuilder, xs: readonly Op[]) => Op;
  /** Inputs: default uniform in [-1, 1); `positive` gives [0.5, 2). */
  readonly domain?: 'any' | 'positive';
}

/** Checks autodiff against central differences; returns the two directional derivatives. */
export function checkGrads(c: GradCase, seed: number, h = 1e-2, tol = 2e-2): { ad: number; fd: number } {
  const r = new Rng(seed);
  const b = new XlaBuilder('f');
  const xs = c.params.map((s, i) => b.parameter(i, s, `x${i}`));
  const y = c.build(b, xs);
  const weights = b.constant(r.array(sizeOf(y.shape.dims)), y.shape);
  const loss = b.sum(b.multiply(y, weights));
  const m = gradModule(b.build(loss));
  const inputs = c.params.map((s) => {
    const n = sizeOf(s.dims);
    if (c.domain === 'positive') return Float32Array.from(r.array(n), (v) => 1.25 + 0.75 * v);
    return r.array(n);
  });
  const dirs = c.params.map((s) => r.array(sizeOf(s.dims)));
  const [, ...grads] = evaluate(m, inputs);
  let ad = 0;
  grads.forEach((g, i) => g.data.forEach((v, j) => (ad += v * dirs[i]![j]!)));
  const lossAt = (sign: number): number => {
    const moved = inputs.map((x, i) => Float32Array.from(x, (v, j) => v + sign * h * dirs[i]![j]!));
    return evaluate(m, moved)[0]!.data[0]!;
  };
  const fd = (lossAt(1) - lossAt(-1)) / (2 * h);
  expect(Math.abs(ad - fd), `autodiff ${ad} vs finite differences ${fd}`).toBeLessThanOrEqual(tol * (Math.abs(ad) + Math.abs(fd)) + 2e-3);
  return { ad, fd };
}
