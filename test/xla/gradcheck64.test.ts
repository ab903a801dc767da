/**
 * Tight gradient checks: every op's VJP rule (the HLO that autodiff emits) evaluated in
 * float64 by an independent evaluator (./eval64.ts), against central differences of the
 * forward function in float64, along several random directions, with shapes that cross the
 * 128 fold of the array (K = 130 and N = 129 dots, a 3x3x15 -> 130 convolution, 130-lane
 * elementwise rows).
 *
 * Why float64 and not the interpreter: the interpreter is f32 with TPU numerics, and its dots
 * round operands to bf16 (or split them in 3 or 6 bf16 passes), so central differences on it
 * are only good to about 1e-3 relative and the old check (./gradcheck.ts) needs 2% + 2e-3:
 * a tanh gradient off by 3% passed it. Here the rules are checked as math, to 1e-6-class
 * relative error, so a wrong constant anywhere in a rule fails.
 *
 * The tolerance, per check: with step h the central difference D(h) has a truncation error
 * of about h^2 |L'''| / 6 and a rounding error of about eps |L|_1 / h (eps = 2^-52,
 * |L|_1 = sum |f(x) R|). The truncation is estimated from the check itself by Richardson:
 * |D(2h) - D(h)| / 3. The bound is
 *   |autodiff - D(h)| <= 1e-6 (|autodiff| + |D(h)|) + 10 (|D(2h) - D(h)| / 3 + 4 eps |L|_1 / h)
 * (h = 1e-5: small enough that a random direction almost never moves a kink of max, relu,
 * select or max-pooling into [x - 2h, x + 2h]; the seeds are fixed, so "almost" is checked).
 *
 * Then the same gradient modules are compiled, lowered and run on the simulated TensorCore
 * (dots and convolutions in 'highest' precision), which must give the interpreter's bits.
 */
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32, type Op } from '../../src/xla/builder.ts';
import { gradModule } from '../../src/xla/autodiff.ts';
import { compile } from '../../src/xla/compiler.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import { LoweringError, lower } from '../../src/xla/lower.ts';
import { runLowered } from '../../src/xla/lowered-runner.ts';
import type { OpName, Shape } from '../../src/xla/hlo.ts';
import { OP_NAMES } from '../../src/xla/ops/index.ts';
import { evaluate64 } from './eval64.ts';

interface Row {
  readonly params: readonly Shape[];
  readonly build: (b: XlaBuilder, xs: readonly Op[]) => Op;
  /** Inputs uniform in [-1, 1) by default; `positive`: [0.5, 2). */
  readonly domain?: 'positive';
  /** Why the op has no check here. */
  readonly skip?: string;
}
const row = (params: Shape[], build: Row['build'], extra: Partial<Row> = {}): Row => ({ params, build, ...extra });
const hi = { precision: 'highest' } as const;

/** One row per op, as in ./ops.test.ts but at sizes that cross the 128 fold where affordable. */
const ROWS: { readonly [K in OpName]: Row } = {
  parameter: row([f32([2, 130])], (b, [x]) => b.multiply(x!, x!)),
  constant: row([f32([3])], (b, [x]) => b.multiply(x!, b.constant([1, -2, 3], [3]))),
  iota: row([f32([2, 3])], (b, [x]) => b.multiply(x!, b.iota(f32([2, 3]), 1))),
  rng: row([f32([4])], (b, [x]) => b.multiply(x!, b.rng([4], 7))),
  add: row([f32([2, 130]), f32([2, 130])], (b, [x, y]) => b.multiply(b.add(x!, y!), x!)),
  subtract: row([f32([2, 130]), f32([2, 130])], (b, [x, y]) => b.multiply(b.subtract(x!, y!), y!)),
  multiply: row([f32([2, 130]), f32([2, 130])], (b, [x, y]) => b.multiply(x!, y!)),
  divide: row([f32([2, 130]), f32([2, 130])], (b, [x, y]) => b.divide(x!, y!), { domain: 'positive' }),
  maximum: row([f32([2, 130]), f32([2, 130])], (b, [x, y]) => b.maximum(x!, y!)),
  minimum: row([f32([2, 130]), f32([2, 130])], (b, [x, y]) => b.minimum(x!, y!)),
  negate: row([f32([130])], (b, [x]) => b.negate(b.multiply(x!, x!))),
  exp: row([f32([130])], (b, [x]) => b.exp(x!)),
  log: row([f32([130])], (b, [x]) => b.log(x!), { domain: 'positive' }),
  sqrt: row([f32([130])], (b, [x]) => b.sqrt(x!), { domain: 'positive' }),
  rsqrt: row([f32([130])], (b, [x]) => b.rsqrt(x!), { domain: 'positive' }),
  tanh: row([f32([2, 130])], (b, [x]) => b.tanh(x!)),
  compare: row([f32([130]), f32([130])], (b, [x, y]) => b.select(b.compare(x!, y!, 'GT'), x!, y!)),
  select: row([f32([130]), f32([130])], (b, [x, y]) => b.multiply(b.select(b.compare(x!, 0, 'LT'), b.exp(x!), b.add(x!, 1)), y!)),
  convert: row([f32([4])], (b, [x]) => b.convert(b.exp(x!), 'f32')),
  broadcast: row([f32([2, 3])], (b, [x]) => b.exp(b.broadcast(x!, [3, 130, 2], [2, 0]))),
  reshape: row([f32([2, 130])], (b, [x]) => b.multiply(b.reshape(x!, [13, 5, 4]), b.reshape(x!, [13, 5, 4]))),
  transpose: row([f32([2, 3, 130])], (b, [x]) => b.multiply(b.transpose(x!, [2, 0, 1]), b.transpose(x!, [2, 0, 1]))),
  reverse: row([f32([3, 130])], (b, [x]) => b.multiply(b.reverse(x!, [1]), x!)),
  slice: row([f32([5, 131])], (b, [x]) => b.exp(b.slice(x!, { start: [1, 0], limit: [5, 131], strides: [2, 3] }))),
  pad: row([f32([2, 65])], (b, [x]) => b.exp(b.pad(x!, { low: [1, 0], high: [0, 2], interior: [1, 1], value: 0.5 }))),
  concatenate: row([f32([2, 130]), f32([2, 1])], (b, [x, y]) => b.exp(b.concatenate([x!, y!, x!], 1))),
  reduce: row([f32([3, 130, 5])], (b, [x]) => b.multiply(b.add(b.reduce(x!, [0, 2], 'sum'), b.reduce(x!, [2, 0], 'max')), b.reduce(x!, [0, 2], 'sum'))),
  'reduce-window': row([f32([1, 5, 5, 2])], (b, [x]) => {
    const w = { window: [1, 3, 2, 1], strides: [1, 2, 1, 1], padding: [[0, 0], [1, 1], [0, 1], [0, 0]] as [number, number][] };
    return b.multiply(b.add(b.reduceWindow(x!, { kind: 'sum', ...w }), b.reduceWindow(x!, { kind: 'max', ...w })), b.reduceWindow(x!, { kind: 'sum', ...w }));
  }),
  'select-and-scatter': row([f32([1, 4, 4, 1]), f32([1, 2, 2, 1])], (b, [x, s]) => b.selectAndScatter(x!, s!, { window: [1, 2, 2, 1], strides: [1, 2, 2, 1] }), {
    skip: 'the max-pool gradient is not differentiated again (its use is checked through reduce-window max)',
  }),
  dot: row([f32([3, 130]), f32([130, 129])], (b, [x, y]) => b.tanh(b.dot(x!, y!, { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [], ...hi }))),
  convolution: row([f32([1, 5, 5, 15]), f32([3, 3, 15, 130])], (b, [x, w]) => b.tanh(b.convolution(x!, w!, { padding: 'same', ...hi }))),
  'all-reduce': row([f32([4])], (b, [x]) => b.allReduce(b.exp(x!), 1)),
  fusion: row([f32([2])], (_b, [x]) => x!, { skip: 'fusion is formed by a pass after autodiff, never differentiated' }),
};

/** More graphs: general dot dims, strided and dilated convolutions, a small net (softmax CE). */
const EXTRA: Record<string, Row> = {
  'dot with batch dims and a contraction in the middle': row([f32([2, 3, 4]), f32([4, 2, 5])], (b, [x, y]) =>
    b.exp(b.dot(x!, y!, { lhsBatch: [0], rhsBatch: [1], lhsContracting: [2], rhsContracting: [0], ...hi })),
  ),
  // dimension orders where d lhs / d rhs must be transposed back (the 2-D rows above never are)
  'dot with transposed operands (contracting dim first on lhs, last on rhs)': row([f32([5, 3]), f32([4, 5])], (b, [x, y]) =>
    b.tanh(b.dot(x!, y!, { lhsBatch: [], rhsBatch: [], lhsContracting: [0], rhsContracting: [1], ...hi })),
  ),
  'dot with two contracting dims listed out of order, free dims around them': row([f32([3, 2, 4, 5]), f32([2, 6, 5])], (b, [x, y]) =>
    b.tanh(b.dot(x!, y!, { lhsBatch: [], rhsBatch: [], lhsContracting: [3, 1], rhsContracting: [2, 0], ...hi })),
  ),
  'dot with two free dims on each side, around the contraction': row([f32([2, 4, 3]), f32([5, 4, 2])], (b, [x, y]) =>
    b.tanh(b.dot(x!, y!, { lhsBatch: [], rhsBatch: [], lhsContracting: [1], rhsContracting: [1], ...hi })),
  ),
  'broadcast whose operand dims land out of order (one in place, two swapped)': row([f32([2, 3, 4])], (b, [x]) =>
    b.exp(b.broadcast(x!, [2, 4, 5, 3], [0, 3, 1])),
  ),
  'dot with batch dims not leading': row([f32([4, 2, 3]), f32([2, 4, 5])], (b, [x, y]) =>
    b.tanh(b.dot(x!, y!, { lhsBatch: [1], rhsBatch: [0], lhsContracting: [0], rhsContracting: [1], ...hi })),
  ),
  'convolution: strides, asymmetric padding, filter dilation': row([f32([2, 7, 6, 3]), f32([3, 2, 3, 4])], (b, [x, w]) =>
    b.tanh(b.convolution(x!, w!, { strides: [2, 1], padding: [[1, 2], [1, 1]], rhsDilation: [1, 2], ...hi })),
  ),
  'convolution: input dilation (a transposed conv)': row([f32([1, 3, 3, 2]), f32([2, 2, 2, 3])], (b, [x, w]) =>
    b.tanh(b.convolution(x!, w!, { lhsDilation: [2, 2], padding: [[1, 1], [1, 0]], strides: [1, 2], ...hi })),
  ),
  // padding wider than the window: the gradient's own padding goes negative on both sides
  // (dim 1 at the high end, dim 2 at the low end), and the rule slices instead of padding
  'reduce-window sum: padding wider than the window': row([f32([1, 3, 4, 1])], (b, [x]) =>
    b.tanh(b.reduceWindow(x!, { kind: 'sum', window: [1, 2, 2, 1], strides: [1, 1, 2, 1], padding: [[0, 0], [0, 2], [2, 0], [0, 0]] })),
  ),
  'reduce-window sum: padding wider than the window at the low end only': row([f32([1, 4, 3, 1])], (b, [x]) =>
    b.tanh(b.reduceWindow(x!, { kind: 'sum', window: [1, 2, 1, 1], strides: [1, 1, 1, 1], padding: [[0, 0], [2, 0], [0, 0], [0, 0]] })),
  ),
  'reduce-window sum: padding wider than the window at the high end only': row([f32([1, 3, 2, 1])], (b, [x]) =>
    b.tanh(b.reduceWindow(x!, { kind: 'sum', window: [1, 2, 1, 1], strides: [1, 1, 1, 1], padding: [[0, 0], [0, 2], [0, 0], [0, 0]] })),
  ),
  'conv -> relu -> max pool -> dense -> softmax cross-entropy': row([f32([2, 6, 6, 2]), f32([3, 3, 2, 3]), f32([27, 4])], (b, [x, k, w]) => {
    const h = b.relu(b.convolution(x!, k!, { padding: 'same', ...hi }));
    const p = b.maxPool(h, { size: [2, 2] });
    const logits = b.dot(b.reshape(p, [2, 27]), w!, hi);
    return b.softmaxCrossEntropy(logits, b.constant([1, 0, 0, 0, 0, 0, 1, 0], [2, 4]));
  }),
};

/** Seeded uniform [-1, 1) in f64. */
class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  array(n: number): Float64Array {
    return Float64Array.from({ length: n }, () => {
      this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
      return (this.s / 2 ** 32) * 2 - 1;
    });
  }
}

const count = (s: Shape): number => s.dims.reduce((a, d) => a * d, 1);
const EPS = 2 ** -52;
const H = 1e-5;

/** The loss module L(x) = sum(f(x) * R) with a fixed random R, and its gradient module. */
function modules(r: Row, rand: Rand) {
  const b = new XlaBuilder('f');
  const xs = r.params.map((s, i) => b.parameter(i, s, `x${i}`));
  const y = r.build(b, xs);
  const weights = b.constant(Array.from(rand.array(count(y.shape))), y.shape);
  const prod = b.multiply(y, weights);
  const forward = b.build(b.sum(prod));
  const terms = b.build(prod); // for |L|_1, the rounding scale
  return { forward, terms, grad: gradModule(forward) };
}

/** Checks one row at one seed along `directions` random directions; returns the worst relative error. */
function check(r: Row, seed: number, directions: number): number {
  const rand = new Rand(seed);
  const { forward, terms, grad } = modules(r, rand);
  const x = r.params.map((s) => {
    const v = rand.array(count(s));
    return r.domain === 'positive' ? v.map((u) => 1.25 + 0.75 * u) : v;
  });
  const [, ...g] = evaluate64(grad, x);
  const loss = (t: number, v: readonly Float64Array[]): number => evaluate64(forward, x.map((xi, i) => xi.map((u, j) => u + t * v[i]![j]!)))[0]![0]!;
  const l1 = evaluate64(terms, x)[0]!.reduce((a, u) => a + Math.abs(u), 0);
  let worst = 0;
  for (let d = 0; d < directions; d++) {
    const v = r.params.map((s) => rand.array(count(s)));
    const ad = g.reduce((a, gi, i) => a + gi.reduce((s, u, j) => s + u * v[i]![j]!, 0), 0);
    const fd = (loss(H, v) - loss(-H, v)) / (2 * H);
    const fd2 = (loss(2 * H, v) - loss(-2 * H, v)) / (4 * H);
    const tol = 1e-6 * (Math.abs(ad) + Math.abs(fd)) + 10 * (Math.abs(fd2 - fd) / 3 + (4 * EPS * l1) / H);
    expect(Math.abs(ad - fd), `direction ${d}: autodiff ${ad} vs central differences ${fd} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
    // the tolerance must stay meaningful: far below the 3% a wrong rule would show
    expect(tol, `direction ${d}: tolerance ${tol} too loose for |ad| ${Math.abs(ad)}`).toBeLessThanOrEqual(1e-4 * Math.abs(ad) + 1e-9);
    worst = Math.max(worst, Math.abs(ad - fd) / Math.max(1e-300, Math.abs(fd)));
  }
  return worst;
}

const SEEDS = [3, 17];
const DIRECTIONS = 3;

describe('gradients in float64 against central differences (1e-6-class, shapes past the 128 fold)', () => {
  it('has a row for every op', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...OP_NAMES].sort());
  });

  const all: [string, Row][] = [...(Object.entries(ROWS) as [string, Row][]), ...Object.entries(EXTRA)];
  for (const [name, r] of all) {
    if (r.skip) {
      it.skip(`${name} (${r.skip})`, () => {});
      continue;
    }
    it(`${name}: ${DIRECTIONS} directions x ${SEEDS.length} seeds`, () => {
      for (const seed of SEEDS) check(r, seed, DIRECTIONS);
    });
  }
});

describe('the float64 evaluator itself', () => {
  it('agrees with the interpreter (highest precision, f32) on every row, forward and gradient', () => {
    for (const [name, r] of [...(Object.entries(ROWS) as [string, Row][]), ...Object.entries(EXTRA)]) {
      if (r.skip) continue;
      const { grad } = modules(r, new Rand(5));
      const x = r.params.map((s) => {
        const v = new Rand(9).array(count(s));
        return r.domain === 'positive' ? v.map((u) => 1.25 + 0.75 * u) : v;
      });
      const want = evaluate(grad, x.map((v) => Float32Array.from(v)));
      const got = evaluate64(grad, x.map((v) => Float64Array.from(Float32Array.from(v))));
      got.forEach((out, i) => {
        const ref = want[i]!.data;
        const scale = ref.reduce((a, u) => Math.max(a, Math.abs(u)), 1e-30);
        const err = out.reduce((a, u, j) => Math.max(a, Math.abs(u - ref[j]!)), 0);
        expect(err / scale, `${name} output ${i}`).toBeLessThan(1e-4);
      });
    }
  });
});

describe('the same gradient modules on the simulated TensorCore (highest precision where there are dots)', () => {
  // The VJP rules checked as math above are also run as programs: compiled (passes), lowered
  // to a TensorCore program and simulated, they must give the interpreter's bits.
  const bitsOf = (x: Float32Array): number[] => Array.from(new Uint32Array(x.slice().buffer));
  /** Rows the lowering refuses (a LoweringError, checked), with the variant that it takes. */
  const REFUSED: Record<string, { why: string; instead: Row }> = {
    broadcast: {
      why: 'broadcast dimensions must be increasing in the lowering (the layers never emit others)',
      instead: row([f32([2, 3])], (b, [x]) => b.exp(b.broadcast(x!, [2, 130, 3], [0, 2]))),
    },
    'broadcast whose operand dims land out of order (one in place, two swapped)': {
      why: 'broadcast dimensions must be increasing in the lowering (the layers never emit others)',
      instead: row([f32([2, 3])], (b, [x]) => b.exp(b.broadcast(x!, [2, 130, 3], [0, 2]))),
    },
    'reduce-window': {
      why: "select-and-scatter (max's gradient) is lowered for non-overlapping, unpadded windows only: max pooling's",
      instead: row([f32([1, 6, 4, 2])], (b, [x]) => {
        const w = { window: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: [[0, 0], [0, 0], [0, 0], [0, 0]] as [number, number][] };
        return b.multiply(b.add(b.reduceWindow(x!, { kind: 'sum', ...w }), b.reduceWindow(x!, { kind: 'max', ...w })), b.reduceWindow(x!, { kind: 'sum', ...w }));
      }),
    },
  };
  const argsOf = (r: Row): Float32Array[] =>
    r.params.map((s) => {
      const v = new Rand(13).array(count(s));
      return Float32Array.from(r.domain === 'positive' ? v.map((u) => 1.25 + 0.75 * u) : v);
    });
  for (const [name, r] of [...(Object.entries(ROWS) as [string, Row][]), ...Object.entries(EXTRA)]) {
    if (r.skip) continue;
    const refused = REFUSED[name];
    it(`${name}: lowered gradient == interpreter, bit for bit${refused ? ` (variant: ${refused.why})` : ''}`, () => {
      if (refused) expect(() => lower(compile(modules(r, new Rand(5)).grad).module)).toThrow(LoweringError);
      const used = refused?.instead ?? r;
      const { grad } = modules(used, new Rand(5));
      const args = argsOf(used);
      const want = evaluate(grad, args).map((l) => bitsOf(l.data));
      const { outputs } = runLowered(lower(compile(grad).module), args);
      expect(outputs.map(bitsOf)).toEqual(want);
    });
  }
});
