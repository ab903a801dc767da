/**
 * The cost model of every op (what `tpusim compile` reports and the passes compare), against
 * numbers worked out by hand from the documented model, not from the op table's code:
 * - cycles = max(compute cycles, ceil(HBM bytes / (bytes per second / clock))) (roofline);
 *   the default core moves 350e9 / 700e6 = 500 bytes per cycle;
 * - HBM bytes = every operand once + the result once (f32 4 bytes, bf16 2, pred 1);
 * - VPU compute = vregs of the result (8 x 128 values, at least 1) x cycles per vreg of the
 *   op (ALU ops 1; EUP ops 4 + ALU steps: divide 7, exp 8, log 7, sqrt 7, rsqrt 6, tanh 8;
 *   see vpu/ops.ts); data movement 1 per vreg of the result, a reshape nothing;
 * - reductions: the VPU's tree (vpu/reduce.ts): lane reduction log2(128) x (8 + 1) = 63,
 *   sublane reduction log2(8) x 2 = 6, one add per extra tile, plus 1 per vreg for a
 *   transpose when the reduced dims are not last or leading;
 * - MXU ops: the closed-form systolic cycles (mxu/cycles.ts, itself checked against the
 *   stepped array), per batch element; the all-reduce: the ring's alpha-beta time.
 */
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32, type Op } from '../../src/xla/builder.ts';
import { compile, estimate, type OpEstimate } from '../../src/xla/compiler.ts';
import { mxuCycles } from '../../src/mxu/cycles.ts';
import { DEFAULT_MXU_CONFIG } from '../../src/mxu/config.ts';
import { allReduceModelSeconds } from '../../src/tpu/collectives.ts';
import { DEFAULT_CORE_CONFIG, DEFAULT_LINK_CONFIG } from '../../src/tpu/config.ts';

/** The estimate of the (last) instruction of op `op` in the module built by `build`. */
function costOf(params: readonly (readonly number[])[], build: (b: XlaBuilder, xs: Op[]) => Op, op: string, config = DEFAULT_CORE_CONFIG): OpEstimate {
  const b = new XlaBuilder('cost');
  const xs = params.map((d, i) => b.parameter(i, f32(d), `p${i}`));
  const e = estimate(b.build([build(b, xs)]), config);
  const found = e.ops.filter((o) => o.op === op);
  expect(found.length, `no ${op} in the module`).toBeGreaterThan(0);
  return found.at(-1)!;
}

const memCycles = (bytes: number): number => Math.ceil(bytes / 500);
/** A core with 1000x the HBM bandwidth: every op is compute-bound. */
const FAST_HBM = { ...DEFAULT_CORE_CONFIG, hbmBytesPerSecond: 350e12 };

describe('op costs == the documented model, worked out by hand', () => {
  it('elementwise ops: vregs x cycles per vreg on the VPU, every operand and the result once from HBM', () => {
    // f32[64,128]: 8 vregs, 32768 bytes per operand
    const rows: [string, (b: XlaBuilder, x: Op[]) => Op, number, number][] = [
      ['add', (b, [x, y]) => b.add(x!, y!), 8, 3 * 32768],
      ['subtract', (b, [x, y]) => b.subtract(x!, y!), 8, 3 * 32768],
      ['multiply', (b, [x, y]) => b.multiply(x!, y!), 8, 3 * 32768],
      ['divide', (b, [x, y]) => b.divide(x!, y!), 8 * 7, 3 * 32768],
      ['maximum', (b, [x, y]) => b.maximum(x!, y!), 8, 3 * 32768],
      ['minimum', (b, [x, y]) => b.minimum(x!, y!), 8, 3 * 32768],
      ['negate', (b, [x]) => b.negate(x!), 8, 2 * 32768],
      ['exp', (b, [x]) => b.exp(x!), 8 * 8, 2 * 32768],
      ['log', (b, [x]) => b.log(x!), 8 * 7, 2 * 32768],
      ['sqrt', (b, [x]) => b.sqrt(x!), 8 * 7, 2 * 32768],
      ['rsqrt', (b, [x]) => b.rsqrt(x!), 8 * 6, 2 * 32768],
      ['tanh', (b, [x]) => b.tanh(x!), 8 * 8, 2 * 32768],
      // the result is pred: 1 byte per element
      ['compare', (b, [x, y]) => b.compare(x!, y!, 'GT'), 8, 2 * 32768 + 8192],
      ['select', (b, [x, y]) => b.select(b.compare(x!, y!, 'LT'), x!, y!), 8, 8192 + 3 * 32768],
      // to bf16: 2 bytes per element out
      ['convert', (b, [x]) => b.convert(x!, 'bf16'), 8, 32768 + 16384],
    ];
    for (const [op, build, compute, bytes] of rows) {
      const c = costOf([[64, 128], [64, 128]], build, op);
      expect({ op, unit: c.unit, computeCycles: c.computeCycles, hbmBytes: c.hbmBytes, cycles: c.cycles }).toEqual({ op, unit: 'vpu', computeCycles: compute, hbmBytes: bytes, cycles: Math.max(compute, memCycles(bytes)) });
      expect(costOf([[64, 128], [64, 128]], build, op, FAST_HBM).cycles, op).toBe(compute);
    }
    // a value smaller than a vreg still takes one
    expect(costOf([[3]], (b, [x]) => b.tanh(x!), 'tanh').computeCycles).toBe(8);
    // bf16 operands move half the bytes; converting back is one ALU op per vreg
    expect(costOf([[64, 128]], (b, [x]) => b.convert(b.convert(x!, 'bf16'), 'f32'), 'convert')).toMatchObject({ computeCycles: 8, hbmBytes: 16384 + 32768 });
  });

  it('data movement: one VPU op per vreg of the result; a reshape is free', () => {
    const move = (op: string, build: (b: XlaBuilder, x: Op[]) => Op, dims: number[], compute: number, bytes: number) => {
      const c = costOf([dims], build, op);
      expect({ op, unit: c.unit, computeCycles: c.computeCycles, hbmBytes: c.hbmBytes }).toEqual({ op, unit: 'vpu', computeCycles: compute, hbmBytes: bytes });
    };
    move('transpose', (b, [x]) => b.transpose(x!, [1, 0]), [8, 256], 2, 2 * 8192);
    move('reverse', (b, [x]) => b.reverse(x!, [0]), [8, 256], 2, 2 * 8192);
    move('broadcast', (b, [x]) => b.broadcast(x!, [4, 8, 256], [1, 2]), [8, 256], 8, 8192 + 4 * 8192);
    move('slice', (b, [x]) => b.slice(x!, { start: [0, 0], limit: [8, 128] }), [8, 256], 1, 8192 + 4096);
    move('pad', (b, [x]) => b.pad(x!, { low: [0, 0], high: [8, 0] }), [8, 256], 4, 8192 + 16384);
    move('concatenate', (b, [x]) => b.concatenate([x!, x!, x!], 0), [8, 256], 6, 3 * 8192 + 3 * 8192);
    expect(costOf([[8, 256]], (b, [x]) => b.reshape(x!, [16, 128]), 'reshape')).toMatchObject({ unit: 'none', computeCycles: 0, hbmBytes: 0, cycles: 0 });
  });

  it('sources: iota, constants, rng and the all-reduce', () => {
    expect(costOf([], (b) => b.iota(f32([16, 128]), 1), 'iota')).toMatchObject({ unit: 'vpu', computeCycles: 2, hbmBytes: 8192, cycles: memCycles(8192) });
    // a filled constant is written by the VPU; a constant of all its values is part of the program
    expect(costOf([], (b) => b.constant(1.5, [16, 128]), 'constant')).toMatchObject({ unit: 'vpu', computeCycles: 2, hbmBytes: 8192 });
    expect(costOf([], (b) => b.constant([1, 2, 3], [3]), 'constant')).toMatchObject({ computeCycles: 0, hbmBytes: 0, cycles: 0 });
    // the counter hash: 8 ALU ops per vreg
    expect(costOf([], (b) => b.rng([8, 256], 3), 'rng')).toMatchObject({ unit: 'vpu', computeCycles: 16, hbmBytes: 8192, cycles: memCycles(8192) });
    const ring = Math.ceil(allReduceModelSeconds(4096, [8], DEFAULT_LINK_CONFIG) * 700e6);
    expect(ring).toBe(Math.ceil((((2 * 7) / 8) * 4096) / 62e9 * 700e6 + 14 * 1e-6 * 700e6));
    expect(costOf([[1024]], (b, [x]) => b.allReduce(x!, 8), 'all-reduce')).toMatchObject({ unit: 'ici', computeCycles: ring, hbmBytes: 8192, cycles: ring });
    expect(costOf([[1024]], (b, [x]) => b.allReduce(x!, 1), 'all-reduce')).toMatchObject({ unit: 'ici', computeCycles: 0, hbmBytes: 8192 });
  });

  it('reductions: the VPU tree, plus a transpose when the reduced dims are neither last nor leading', () => {
    const red = (dims: number[], over: number[], compute: number, outBytes: number, kind: 'sum' | 'max' = 'sum') => {
      const c = costOf([dims], (b, [x]) => b.reduce(x!, over, kind), 'reduce');
      expect({ over, unit: c.unit, computeCycles: c.computeCycles, hbmBytes: c.hbmBytes }).toEqual({ over, unit: 'vpu', computeCycles: compute, hbmBytes: dims.reduce((a, d) => a * d, 4) + outBytes });
    };
    red([16, 256], [1], 2 * (1 + 63), 64); // 2 row tiles, each: one add of the 2 lane tiles, then the lane tree
    red([16, 256], [0], 2 * (1 + 6), 1024, 'max'); // 2 column tiles, each: one max of the 2 row tiles, then the sublane tree
    red([16, 256], [0, 1], 3 + 63 + 6, 4); // 4 vregs folded, then both trees
    red([2, 3, 256], [0, 2], 2 + 1 * (3 + 63), 12); // transposed to [3, 2*256] (1536 values: 2 vregs), then 1 row tile of 4 lane tiles
    expect(costOf([[4, 5]], (b, [x]) => b.reduce(x!, [], 'sum'), 'reduce')).toMatchObject({ computeCycles: 0, hbmBytes: 160 });
  });

  it('pooling: one VPU op per vreg of the result and window element; the max-pool gradient 3 per element', () => {
    const w = { window: [1, 2, 2, 1], strides: [1, 2, 2, 1] };
    // [1, 8, 8, 128] -> [1, 4, 4, 128]: 2 vregs out, 4 window elements
    expect(costOf([[1, 8, 8, 128]], (b, [x]) => b.reduceWindow(x!, { kind: 'max', ...w }), 'reduce-window')).toMatchObject({ unit: 'vpu', computeCycles: 8, hbmBytes: 4 * (8192 + 2048), cycles: memCycles(40960) });
    // select-and-scatter writes x's shape (8 vregs) x 4 window elements x 3
    expect(costOf([[1, 8, 8, 128], [1, 4, 4, 128]], (b, [x, s]) => b.selectAndScatter(x!, s!, w), 'select-and-scatter')).toMatchObject({ unit: 'vpu', computeCycles: 96, hbmBytes: 4 * (8192 + 2048 + 8192) });
  });

  it('MXU ops: the systolic cycles per batch element, at the precision of the op', () => {
    const dot = costOf([[16, 256], [256, 32]], (b, [x, y]) => b.dot(x!, y!), 'dot');
    expect(dot).toMatchObject({ unit: 'mxu', computeCycles: mxuCycles({ m: 16, k: 256, n: 32 }, DEFAULT_MXU_CONFIG), hbmBytes: 4 * (16 * 256 + 256 * 32 + 16 * 32) });
    const batched = costOf([[3, 16, 256], [3, 256, 32]], (b, [x, y]) => b.dot(x!, y!, { lhsBatch: [0], rhsBatch: [0], lhsContracting: [2], rhsContracting: [1], precision: 'highest' }), 'dot');
    expect(batched.computeCycles).toBe(3 * mxuCycles({ m: 16, k: 256, n: 32 }, DEFAULT_MXU_CONFIG, 'highest'));
    expect(costOf([[0, 8], [8, 4]], (b, [x, y]) => b.dot(x!, y!), 'dot').computeCycles).toBe(0);
    // conv [2, 6, 6, 3] * [3, 3, 3, 4], valid: im2col [2*4*4, 27] x [27, 4]
    const conv = costOf([[2, 6, 6, 3], [3, 3, 3, 4]], (b, [x, w]) => b.convolution(x!, w!, { precision: 'high' }), 'convolution');
    expect(conv).toMatchObject({ unit: 'mxu', computeCycles: mxuCycles({ m: 32, k: 27, n: 4 }, DEFAULT_MXU_CONFIG, 'high'), hbmBytes: 4 * (216 + 108 + 128) });
  });

  it("a fusion: its body's compute, only its own operands and result from HBM", () => {
    const b = new XlaBuilder('fused');
    const [x, y] = [b.parameter(0, f32([64, 128]), 'x'), b.parameter(1, f32([64, 128]), 'y')];
    const m = compile(b.build([b.tanh(b.add(b.exp(x), y))])).module;
    const e = estimate(m);
    const fusions = e.ops.filter((o) => o.op.startsWith('fusion'));
    expect(fusions).toHaveLength(1);
    // exp 8 + add 1 + tanh 8 per vreg, 8 vregs; x, y in and one result out
    expect(fusions[0]).toMatchObject({ unit: 'vpu', computeCycles: 8 * 17, hbmBytes: 3 * 32768, cycles: Math.max(136, memCycles(3 * 32768)) });
  });
});
