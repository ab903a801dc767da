/**
 * Random HLO graphs for property tests of the text form, the passes and the lowering: a
 * seeded generator that builds small, numerically tame modules (values stay finite) from
 * a menu of every op family, through the builder.
 */
import { XlaBuilder, f32, type Op } from '../../src/xla/builder.ts';
import type { HloModule } from '../../src/xla/hlo.ts';

/** A small deterministic PRNG (LCG), so a graph is a function of its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 2 ** 32;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** Values in [-scale, scale). */
  array(n: number, scale = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.next() * 2 - 1) * scale;
    return out;
  }
}

type Step = (b: XlaBuilder, r: Rng, pool: Op[]) => Op | null;

const of2d = (pool: Op[], r: Rng): Op | undefined => {
  const xs = pool.filter((o) => o.shape.dims.length === 2);
  return xs.length > 0 ? r.pick(xs) : undefined;
};

/** The menu: each step builds one small sub-graph from values already in the pool. */
const STEPS: readonly Step[] = [
  (b, r, pool) => b.tanh(r.pick(pool)),
  (b, r, pool) => b.exp(b.tanh(r.pick(pool))),
  (b, r, pool) => b.negate(r.pick(pool)),
  (b, r, pool) => b.relu(r.pick(pool)),
  (b, r, pool) => b.sqrt(b.add(b.multiply(b.tanh(r.pick(pool)), 0.5), 2)),
  (b, r, pool) => {
    const x = r.pick(pool);
    const y = pool.find((o) => o !== x && o.shape.dims.join() === x.shape.dims.join());
    return y ? binary(b, r, x, y) : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    return x ? b.transpose(x, [1, 0]) : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    if (!x) return null;
    const k = x.shape.dims[1]!;
    const w = b.constant(r.array(k * 3, 0.5), [k, 3]);
    return b.dot(x, w, { precision: r.pick(['default', 'high', 'highest'] as const) });
  },
  (b, r, pool) => {
    const x = r.pick(pool);
    return x.shape.dims.length > 0 ? b.sum(x, [r.int(0, x.shape.dims.length - 1)]) : null;
  },
  (b, r, pool) => {
    const x = r.pick(pool);
    return x.shape.dims.length > 0 ? b.reduce(x, [x.shape.dims.length - 1], 'max') : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    if (!x) return null;
    const [m, n] = x.shape.dims as [number, number];
    const bias = b.constant(r.array(n), [n]);
    return m > 0 ? b.add(x, bias) : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    if (!x || x.shape.dims[0]! < 2) return null;
    return b.slice(x, { start: [1, 0], limit: x.shape.dims, strides: [1, r.int(1, 2)] });
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    return x ? b.pad(x, { low: [1, 0], high: [0, 2], interior: [0, r.int(0, 1)] }) : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    return x ? b.concatenate([x, b.tanh(x)], 1) : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    return x ? b.reshape(x, [x.shape.dims[1]!, x.shape.dims[0]!]) : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    return x ? b.divide(x, b.add(b.exp(x), 1)) : null;
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    if (!x) return null;
    const [m, n] = x.shape.dims as [number, number];
    const img = b.reshape(x, [1, m, n, 1]);
    const w = b.constant(r.array(3 * 3 * 2, 0.5), [3, 3, 1, 2]);
    const y = b.convolution(img, w, { padding: 'same', strides: [r.int(1, 2), 1] });
    return b.reshape(y, [y.shape.dims[1]!, y.shape.dims[2]! * 2]);
  },
  (b, r, pool) => {
    const x = of2d(pool, r);
    if (!x || x.shape.dims[0]! < 2 || x.shape.dims[1]! < 2) return null;
    const img = b.reshape(x, [1, ...x.shape.dims, 1]);
    const y = r.next() < 0.5 ? b.maxPool(img, { size: [2, 2], strides: [1, 1] }) : b.avgPool(img, { size: [2, 2], padding: 'same' });
    return b.reshape(y, [y.shape.dims[1]!, y.shape.dims[2]!]);
  },
];

function binary(b: XlaBuilder, r: Rng, x: Op, y: Op): Op {
  switch (r.pick(['add', 'subtract', 'multiply', 'maximum', 'minimum'] as const)) {
    case 'add':
      return b.add(x, y);
    case 'subtract':
      return b.subtract(x, y);
    case 'multiply':
      return b.multiply(x, y);
    case 'maximum':
      return b.maximum(x, y);
    case 'minimum':
      return b.minimum(x, y);
  }
}

/** A random module and arguments for it. */
export interface RandomCase {
  readonly module: HloModule;
  readonly args: Float32Array[];
}

/** Builds a random module of about `steps` sub-graphs with one or two outputs. */
export function randomGraph(seed: number, steps = 8): RandomCase {
  const r = new Rng(seed);
  const b = new XlaBuilder(`g${seed}`);
  const m = r.int(1, 6);
  const n = r.int(1, 6);
  const params = [b.parameter(0, f32([m, n]), 'p'), b.parameter(1, f32([m, n]), 'q')];
  const pool: Op[] = [...params];
  for (let i = 0; i < steps; i++) {
    const step = r.pick(STEPS);
    const out = b.withSource(`s${i}`, () => step(b, r, pool));
    if (out) pool.push(out);
  }
  const outputs = r.next() < 0.5 ? [pool[pool.length - 1]!] : [pool[pool.length - 1]!, pool[Math.max(0, pool.length - 3)]!];
  return { module: b.build(outputs), args: [r.array(m * n, 2), r.array(m * n, 2)] };
}
