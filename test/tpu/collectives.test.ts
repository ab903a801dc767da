import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Board,
  CollectiveError,
  DEFAULT_LINK_CONFIG,
  allReduce,
  allReduceModelSeconds,
  allReduceTiming,
  systemPreset,
  topologyDims,
  type AllReduceStep,
  type Program,
} from '../../src/tpu/index.ts';
import { thrownBy } from '../thrown.ts';
import { randomF32 } from '../vpu/f32-oracle.ts';

const link = DEFAULT_LINK_CONFIG;
const f32 = Math.fround;
const dimsArb = fc.oneof(
  fc.integer({ min: 1, max: 9 }).map((n) => [n]),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 })).map(([a, b]) => [a, b]),
);
const inputs = (nodes: number, values: number, seed: number): Float32Array[] =>
  Array.from({ length: nodes }, (_, i) => randomF32(values, seed * 31 + i, 2 ** ((i % 7) - 3)));

/** Independent oracle for one ring: chunk j summed in ring order from position j, f32 after every add. */
function ringOracle(xs: readonly Float32Array[]): Float32Array {
  const n = xs.length;
  const len = xs[0]!.length;
  const out = new Float32Array(len);
  for (let j = 0; j < n; j++) {
    for (let e = Math.floor((j * len) / n); e < Math.floor(((j + 1) * len) / n); e++) {
      let s = xs[j]![e]!;
      for (let t = 1; t < n; t++) s = f32(s + xs[(j + t) % n]![e]!);
      out[e] = s;
    }
  }
  return out;
}

/** Independent oracle for a 2-D torus [A, B] (node = x + A y): ring order along x per chunk, then along y per sub-chunk. */
function torusOracle(xs: readonly Float32Array[], A: number, B: number): Float32Array {
  const len = xs[0]!.length;
  const out = new Float32Array(len);
  for (let c0 = 0; c0 < A; c0++) {
    const [lo, hi] = [Math.floor((c0 * len) / A), Math.floor(((c0 + 1) * len) / A)];
    for (let c1 = 0; c1 < B; c1++) {
      for (let e = lo + Math.floor((c1 * (hi - lo)) / B); e < lo + Math.floor(((c1 + 1) * (hi - lo)) / B); e++) {
        const partial = (y: number): number => {
          let s = xs[c0 + A * y]![e]!;
          for (let t = 1; t < A; t++) s = f32(s + xs[((c0 + t) % A) + A * y]![e]!);
          return s;
        };
        let s = partial(c1);
        for (let t = 1; t < B; t++) s = f32(s + partial((c1 + t) % B));
        out[e] = s;
      }
    }
  }
  return out;
}

describe('all-reduce moves real data: every core ends bit-identical, equal to the sum', () => {
  it('for random sizes (including ones not divisible by the core count) and ring / torus shapes', () => {
    fc.assert(
      fc.property(dimsArb, fc.integer({ min: 1, max: 300 }), fc.integer(), (dims, values, seed) => {
        const nodes = dims.reduce((a, b) => a * b, 1);
        const xs = inputs(nodes, values, seed);
        const copies = xs.map((x) => Float32Array.from(x));
        allReduce(copies, dims, link);
        for (const c of copies) expect(c).toEqual(copies[0]);
        const depth = dims.reduce((h, n) => h + n - 1, 0);
        for (let e = 0; e < values; e++) {
          const exact = xs.reduce((s, x) => s + x[e]!, 0);
          const abs = xs.reduce((s, x) => s + Math.abs(x[e]!), 0);
          expect(Math.abs(copies[0]![e]! - exact)).toBeLessThanOrEqual(depth * 2 ** -24 * abs * 1.0001);
        }
      }),
      { seed: 51, numRuns: 120 },
    );
  });

  it('a ring sums in the documented order (bit-exact against an independent oracle)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 200 }), fc.integer(), (n, values, seed) => {
        const xs = inputs(n, values, seed);
        const copies = xs.map((x) => Float32Array.from(x));
        allReduce(copies, [n], link);
        expect(copies[n - 1]).toEqual(ringOracle(xs));
      }),
      { seed: 52, numRuns: 80 },
    );
  });

  it('a torus sums along x, then y, in the documented order (bit-exact against an independent oracle)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 200 }), fc.integer(), (A, B, values, seed) => {
        const xs = inputs(A * B, values, seed);
        const copies = xs.map((x) => Float32Array.from(x));
        allReduce(copies, [A, B], link);
        expect(copies[0]).toEqual(torusOracle(xs, A, B));
      }),
      { seed: 55, numRuns: 80 },
    );
  });

  it('rejects mismatched buffers, ring sizes and buffer lengths with a user-facing CollectiveError that says which', () => {
    const mismatched = thrownBy(() => allReduce([new Float32Array(3), new Float32Array(4)], [2], link));
    expect(mismatched).toBeInstanceOf(CollectiveError);
    expect([mismatched.name, (mismatched as CollectiveError).userFacing]).toEqual(['CollectiveError', true]);
    expect(mismatched.message).toMatch(/core 1's buffer has 4 values, core 0's has 3/);
    expect(thrownBy(() => allReduce([new Float32Array(3)], [2, 2], link)).message).toBe('all-reduce: 1 buffers for 4 cores (dims [2, 2])');
    for (const dims of [[0], [2.5], [2, -1]]) expect(thrownBy(() => allReduceTiming(4, dims, link)).message).toBe(`all-reduce: ring sizes must be positive integers, got [${dims.join(', ')}]`);
    for (const values of [0, 1.5, NaN]) expect(() => allReduceTiming(values, [2], link)).toThrow(/buffer must hold a positive integer number of values, got/);
  });
});

describe('what an all-reduce sends: messages and bytes on the links', () => {
  /**
   * Independent count: along dim i (in order) each of the nodes / n_i rings runs 2 (n_i - 1)
   * steps of n_i messages, and a ring's step moves the whole segment each node then holds,
   * values / (n_0 ... n_{i-1}), 4 bytes a value.
   */
  const expected = (values: number, dims: number[]) => {
    const nodes = dims.reduce((a, b) => a * b, 1);
    let [messages, linkBytes, held] = [0, 0, values];
    for (const n of dims) {
      messages += (nodes / n) * 2 * (n - 1) * n;
      linkBytes += (nodes / n) * 2 * (n - 1) * 4 * held;
      held /= n;
    }
    return { messages, linkBytes };
  };

  it('ring and torus, one direction and both (each half its own messages; the same bytes in all)', () => {
    for (const dims of [[8], [4, 2], [2, 3]]) {
      const values = 96; // divisible by every product of dims here
      const one = allReduceTiming(values, dims, link);
      expect({ messages: one.messages, linkBytes: one.linkBytes }).toEqual(expected(values, dims));
      const both = allReduceTiming(values, dims, link, { bidirectional: true });
      const [a, b] = [expected(values / 2, dims), expected(values / 2, [...dims].reverse())];
      expect({ messages: both.messages, linkBytes: both.linkBytes }).toEqual({ messages: a.messages + b.messages, linkBytes: a.linkBytes + b.linkBytes });
    }
    // one value, both directions: the first half is empty and sends nothing
    expect(allReduceTiming(1, [2], link, { bidirectional: true }).messages).toBe(expected(1, [2]).messages);
  });

  it('observe sees every step: n messages from each position to the next, chunks in ring order', () => {
    const steps: AllReduceStep[] = [];
    const buffers = Array.from({ length: 4 }, (_, i) => new Float32Array([i, i, i, i]));
    allReduce(buffers, [4], link, { observe: (s) => steps.push(s) });
    expect(steps.map((s) => `${s.kind} ${s.step}`)).toEqual(['reduce-scatter 0', 'reduce-scatter 1', 'reduce-scatter 2', 'all-gather 0', 'all-gather 1', 'all-gather 2']);
    for (const s of steps) {
      expect(s.messages.map((m) => [m.from, m.to])).toEqual([[0, 1], [1, 2], [2, 3], [3, 0]]);
      for (const m of s.messages) {
        expect(m.hi - m.lo).toBe(1);
        expect(m.arriveSeconds).toBeGreaterThan(m.startSeconds);
      }
    }
    expect(steps[0]!.messages.map((m) => m.chunk)).toEqual([0, 1, 2, 3]);
  });

  it('the dims of a topology: a ring of cores; a torus of x by y chips is x * cores-per-chip by y', () => {
    expect(topologyDims({ kind: 'ring', cores: 8 }, 2)).toEqual([8]);
    expect(topologyDims({ kind: 'torus', x: 4, y: 3 }, 2)).toEqual([8, 3]);
  });
});

describe('bidirectional all-reduce (both directions of every link)', () => {
  it('first half as before, second half on the reversed ring; cores identical; half the bandwidth term', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 200 }), fc.integer(), (n, values, seed) => {
        const xs = inputs(n, values, seed);
        const copies = xs.map((x) => Float32Array.from(x));
        const t = allReduce(copies, [n], link, { bidirectional: true });
        for (const c of copies) expect(c).toEqual(copies[0]);
        const h = values >> 1;
        const reversed = [xs[0]!, ...xs.slice(1).reverse()];
        expect(copies[0]!.subarray(0, h)).toEqual(ringOracle(xs.map((x) => x.subarray(0, h))));
        expect(copies[0]!.subarray(h)).toEqual(ringOracle(reversed.map((x) => x.subarray(h))));
        expect(allReduceTiming(values, [n], link, { bidirectional: true })).toEqual(t);
      }),
      { seed: 56, numRuns: 60 },
    );
  });

  it('follows the model exactly when halves divide evenly, on rings and tori', () => {
    fc.assert(
      fc.property(dimsArb, fc.integer({ min: 1, max: 3000 }), (dims, per) => {
        const values = 2 * per * dims.reduce((a, b) => a * b, 1);
        const sim = allReduceTiming(values, dims, link, { bidirectional: true }).seconds;
        const model = allReduceModelSeconds(4 * values, dims, link, { bidirectional: true });
        expect(Math.abs(sim - model)).toBeLessThanOrEqual(1e-12 * model);
        const one = allReduceTiming(values, dims, link).seconds;
        expect(sim).toBeLessThanOrEqual(one);
      }),
      { seed: 57, numRuns: 150 },
    );
  });
});

describe('simulated time follows the alpha-beta model', () => {
  it('exactly when chunks divide evenly: 2(n-1)/n * bytes/bw + 2(n-1) * latency per dim', () => {
    fc.assert(
      fc.property(dimsArb, fc.integer({ min: 1, max: 5000 }), (dims, per) => {
        const values = per * dims.reduce((a, b) => a * b, 1);
        const sim = allReduceTiming(values, dims, link).seconds;
        const model = allReduceModelSeconds(4 * values, dims, link);
        expect(Math.abs(sim - model)).toBeLessThanOrEqual(1e-12 * model); // a single core: both 0
      }),
      { seed: 53, numRuns: 200 },
    );
  });

  it('within one value per step otherwise, and the same with or without data', () => {
    fc.assert(
      fc.property(dimsArb, fc.integer({ min: 1, max: 400 }), fc.integer(), (dims, values, seed) => {
        const nodes = dims.reduce((a, b) => a * b, 1);
        const timing = allReduceTiming(values, dims, link);
        const moved = allReduce(inputs(nodes, values, seed), dims, link);
        expect(moved).toEqual(timing);
        const model = allReduceModelSeconds(4 * values, dims, link);
        const slack = (dims.length * timing.hops * 4) / link.bytesPerSecond;
        expect(Math.abs(timing.seconds - model)).toBeLessThanOrEqual(slack);
      }),
      { seed: 54, numRuns: 100 },
    );
  });

  it('8 cores, 4 MB: 2 * 7/8 * 4e6 / 62e9 + 14 us', () => {
    const t = allReduceTiming(1e6, [8], link);
    expect(t.seconds).toBeCloseTo((2 * 7 * 4e6) / 8 / 62e9 + 14e-6, 12);
    expect(t.hops).toBe(14);
  });

  it('a 16 x 16 pod (512 cores) in timing-only mode matches the model', () => {
    const dims = [32, 16];
    const t = allReduceTiming(512 * 2048, dims, link);
    expect(t.seconds).toBeCloseTo(allReduceModelSeconds(4 * 512 * 2048, dims, link), 12);
    expect(t.hops).toBe(2 * 31 + 2 * 15);
  });
});

describe('a board runs one program on every core with all-reduce', () => {
  const program: Program = {
    buffers: [
      { name: 'g_hbm', memory: 'hbm', values: 1000 },
      { name: 'g', memory: 'vmem', values: 1000 },
      { name: 'out', memory: 'vmem', values: 1000 },
    ],
    instructions: [
      { kind: 'dma', src: 'g_hbm', dst: 'g' },
      { kind: 'vpu-binary', op: 'mul', a: 'g', b: 2, out: 'g', deps: [0] },
      { kind: 'all-reduce', buffer: 'g', deps: [1] },
      { kind: 'vpu-binary', op: 'mul', a: 'g', b: 0.125, out: 'out', deps: [2] },
    ],
  };

  it('v2-8: every core ends with the same mean; the collective is timed by the interconnect', () => {
    const board = new Board(systemPreset('v2-8'));
    board.load(program);
    const xs = inputs(8, 1000, 7);
    board.cores.forEach((c, i) => c.write('g_hbm', xs[i]!));
    const run = board.run();
    const outs = board.cores.map((c) => c.read('out'));
    for (const o of outs) expect(o).toEqual(outs[0]);
    const doubled = xs.map((x) => x.map((v) => f32(v * 2)));
    expect(outs[0]).toEqual(ringOracle(doubled).map((v) => f32(v * 0.125)));
    const ar = run.profiles[0]!.ops[2]!;
    expect(ar.cycles).toBe(Math.ceil(allReduceTiming(1000, [8], board.system.link).seconds * 700e6));
    expect(ar.startCycle).toBe(run.profiles[0]!.ops[1]!.endCycle);
    expect(run.totalCycles).toBe(run.profiles[0]!.ops[3]!.endCycle);
    expect(run.profiles[0]!.bound).toBe('communication'); // 14 us of hop latency dwarfs the rest
    const timed = new Board(systemPreset('v2-8'));
    timed.load(program);
    expect(timed.run({ execute: false }).totalCycles).toBe(run.totalCycles);
    const both = new Board({ ...systemPreset('v2-8'), bidirectionalRings: true });
    both.load(program);
    const bothAr = both.run({ execute: false }).profiles[0]!.ops[2]!;
    expect(bothAr.cycles).toBe(Math.ceil(allReduceTiming(1000, [8], link, { bidirectional: true }).seconds * 700e6));
  });
});
