import { describe, expect, it } from 'vitest';
import { Board, ParallelBoard, systemPreset, type Program } from '../../src/tpu/index.ts';
import { randomF32 } from '../vpu/f32-oracle.ts';

const [m, k, n] = [24, 40, 130];
const program: Program = {
  buffers: [
    { name: 'x_hbm', memory: 'hbm', values: m * k },
    { name: 'x', memory: 'vmem', values: m * k },
    { name: 'w', memory: 'vmem', values: k * n },
    { name: 'z', memory: 'vmem', values: m * n },
    { name: 'g', memory: 'vmem', values: m * n },
  ],
  instructions: [
    { kind: 'dma', src: 'x_hbm', dst: 'x' },
    { kind: 'matmul', a: 'x', b: 'w', out: 'z', shape: { m, k, n }, deps: [0] },
    { kind: 'vpu-unary', op: 'tanh', x: 'z', out: 'g', deps: [1] },
    { kind: 'all-reduce', buffer: 'g', deps: [2] },
    { kind: 'vpu-binary', op: 'mul', a: 'g', b: 0.125, out: 'g', deps: [3] },
    { kind: 'all-reduce', buffer: 'g', deps: [4] },
  ],
};

describe('cores on worker threads: results do not depend on the thread count', () => {
  it('2 and 3 threads give the single-threaded board bits and cycles', async () => {
    const system = systemPreset('v2-8');
    const w = randomF32(k * n, 99);
    const xs = Array.from({ length: 8 }, (_, i) => randomF32(m * k, i));
    const writes = xs.map((x, i) => [i, 'x_hbm', x] as const);
    const serial = new Board(system);
    serial.load(program);
    serial.writeAll('w', w);
    const want = serial.run({ writes, reads: ['g'] });
    const wantOut = serial.cores.map((c) => c.read('g'));
    expect(want.reads.map((r) => r[0])).toEqual(wantOut);
    expect(new Set(wantOut.map((g) => g.join())).size).toBe(1); // all-reduced: every core holds the same sum
    for (const threads of [2, 3]) {
      const board = await ParallelBoard.create(system, threads);
      try {
        await board.load(program);
        await board.writeAll('w', w);
        const got = await board.run({ writes, reads: ['g'] });
        expect(got.totalCycles).toBe(want.totalCycles);
        expect(got.profiles.map((p) => p.ops)).toEqual(want.profiles.map((p) => p.ops));
        expect(got.reads).toEqual(want.reads);
        for (let i = 0; i < 8; i++) expect(await board.read(i, 'g')).toEqual(wantOut[i]);
        expect((await board.run({ execute: false })).totalCycles).toBe(want.totalCycles);
        // errors on a worker come back with their message and stay one-line (userFacing)
        const huge: Program = { buffers: [{ name: 'huge', memory: 'vmem', values: 5 * 2 ** 20 }], instructions: [] };
        const err = await board.load(huge).then(() => null, (e: unknown) => e);
        expect(err).toMatchObject({ userFacing: true });
        expect(String((err as Error).message)).toMatch(/vmem: buffer 'huge' needs 20971520 bytes/);
      } finally {
        await board.close();
      }
    }
  });
});
