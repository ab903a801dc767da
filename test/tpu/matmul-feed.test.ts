/**
 * Matmul instructions that read A through a feed pattern and continue from their
 * accumulators, on a TensorCore: the fast and the reference engine agree bit for bit, the
 * cycles are those of a plain matmul of the same shape, and the verifier refuses a pattern
 * that leaves its buffer or an accumulation it cannot keep exact.
 */
import { describe, expect, it } from 'vitest';
import { mxuCycles } from '../../src/mxu/cycles.ts';
import { ProgramError, TensorCore, coreConfig, fastEngine, referenceEngine, type Program } from '../../src/tpu/index.ts';

const config = coreConfig({ mxu: { rows: 4, cols: 4, clockHz: 700e6, subnormals: 'flush', overlap: true } });
const x = Float32Array.from({ length: 2 * 5 * 5 * 2 }, (_, i) => Math.sin(i * 0.7) * 3);
const w = Float32Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => Math.cos(i * 1.3));

/** A 3x3 valid conv of x [2, 5, 5, 2] by w [3, 3, 2, 3] as two matmuls over halves of K = 18 (cut at 8 = 2 folds of R = 4). */
function convProgram(): Program {
  const rows = [{ count: 2, stride: 50 }, { count: 3, stride: 10 }, { count: 3, stride: 2 }];
  const cols = [{ count: 3, stride: 10 }, { count: 3, stride: 2 }, { count: 2, stride: 1 }];
  return {
    buffers: [
      { name: 'x', memory: 'vmem', values: x.length },
      { name: 'w0', memory: 'vmem', values: 8 * 3 },
      { name: 'w1', memory: 'vmem', values: 10 * 3 },
      { name: 'y', memory: 'vmem', values: 18 * 3 },
    ],
    instructions: [
      { kind: 'matmul', a: 'x', b: 'w0', out: 'y', shape: { m: 18, k: 8, n: 3 }, feed: { offset: 0, rows, cols } },
      { kind: 'matmul', a: 'x', b: 'w1', out: 'y', shape: { m: 18, k: 10, n: 3 }, feed: { offset: 0, rows, cols, colStart: 8 }, accumulate: true },
    ],
  };
}

function run(engine: 'fast' | 'reference', program: Program): { y: Float32Array; cycles: number } {
  const core = new TensorCore({ config, engine: engine === 'fast' ? fastEngine(config.mxu) : referenceEngine(config.mxu) });
  core.load(program);
  core.write('x', x);
  core.write('w0', w.slice(0, 24));
  core.write('w1', w.slice(24));
  const p = core.run();
  return { y: core.read('y'), cycles: p.units.mxu.busyCycles };
}

describe('matmul instructions with a feed and accumulation', () => {
  it('give the bits of the whole im2col matmul on both engines, at the cycles of the two plain matmuls', () => {
    const fast = run('fast', convProgram());
    const ref = run('reference', convProgram());
    expect(new Uint32Array(fast.y.buffer)).toEqual(new Uint32Array(ref.y.buffer));
    // the whole conv, written out: y[b, oh, ow, n] = sum over (kh, kw, c) in that order, folds of 4
    const engine = referenceEngine(config.mxu);
    const patches = new Float32Array(18 * 18);
    for (let b = 0, r = 0; b < 2; b++)
      for (let oh = 0; oh < 3; oh++)
        for (let ow = 0; ow < 3; ow++, r++)
          for (let kh = 0, j = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) for (let c = 0; c < 2; c++, j++) patches[r * 18 + j] = x[((b * 5 + oh + kh) * 5 + ow + kw) * 2 + c]!;
    const whole = engine.run({ a: patches, b: w, shape: { m: 18, k: 18, n: 3 }, precision: 'default' });
    expect(new Uint32Array(fast.y.buffer)).toEqual(new Uint32Array(whole.buffer));
    expect(fast.cycles).toBe(mxuCycles({ m: 18, k: 8, n: 3 }, config.mxu) + mxuCycles({ m: 18, k: 10, n: 3 }, config.mxu));
  });

  it('are refused when the pattern leaves its buffer, or when they accumulate in a multi-pass precision', () => {
    const p = convProgram();
    const [first, second] = p.instructions as [Program['instructions'][number], Program['instructions'][number]];
    const bad = (instr: object): Program => ({ ...p, instructions: [first, { ...second, ...instr } as Program['instructions'][number]] });
    expect(() => new TensorCore({ config }).load(bad({ feed: { offset: 1, rows: [{ count: 2, stride: 50 }], cols: [] } }))).toThrow(ProgramError);
    expect(() => new TensorCore({ config }).load(bad({ feed: { offset: 0, rows: [{ count: 2, stride: 50 }, { count: 3, stride: 10 }, { count: 3, stride: 2 }], cols: [{ count: 3, stride: 10 }, { count: 3, stride: 2 }, { count: 3, stride: 1 }], colStart: 8 } }))).toThrow(/#1 matmul: a 'x': feed reads up to value \d+ of a 100-value buffer/);
    expect(() => new TensorCore({ config }).load(bad({ precision: 'high' }))).toThrow(/#1 matmul: accumulates in 'high' precision/);
  });
});
