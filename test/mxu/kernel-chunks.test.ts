/**
 * The WASM kernel's chunk claiming (`matmulChunks`, used by threaded passes), driven directly
 * on one instance: a call with the current job generation computes exactly what `matmul`
 * computes; a call with a stale generation claims and writes nothing; finished chunks are
 * counted. (Helper threads run the same export: test/mxu/parallel.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { kernelModule } from '../../src/mxu/wasm-module.ts';
import { bits, randomOperand } from './kernel-operands.ts';

interface Exports {
  heapBase(): number;
  packA(src: number, dst: number, m: number, k: number, flush: number, pieces: number, pieceBytes: number): void;
  packB(src: number, dst: number, k: number, n: number, flush: number, pieces: number, pieceBytes: number): void;
  matmul(aP: number, bP: number, c: number, m: number, k: number, n: number, rows: number, clear: number): void;
  matmulChunks(ctl: number, gen: number, aP: number, bP: number, c: number, m: number, k: number, n: number, rows: number, chunkBlocks: number, clear: number): void;
}

function instance(): { ex: Exports; buffer: () => SharedArrayBuffer } {
  const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: SharedArrayBuffer }; Instance: new (m: object, i: object) => { exports: Exports } } }).WebAssembly;
  const memory = new api.Memory({ initial: 64, maximum: 65536, shared: true });
  const ex = new api.Instance(kernelModule(), { env: { memory, abort: () => { throw new Error('abort'); } } }).exports;
  return { ex, buffer: () => memory.buffer };
}

describe('matmulChunks', () => {
  const [m, k, n, rows] = [37, 70, 13, 32];
  const { ex, buffer } = instance();
  const base = Math.ceil(ex.heapBase() / 64) * 64;
  const [ctl, src, aP, bP, c1, c2] = [base, base + 64, base + 65536, base + 2 * 65536, base + 3 * 65536, base + 4 * 65536];
  const f32 = new Float32Array(buffer());
  f32.set(randomOperand(m * k, 5, 0.05, 20), src / 4);
  ex.packA(src, aP, m, k, 1, 1, 0); // flush, one piece (rounded)
  f32.set(randomOperand(k * n, 6, 0.05, 20), src / 4);
  ex.packB(src, bP, k, n, 1, 1, 0);
  const cWords = Math.ceil(m / 4) * 4 * Math.ceil(n / 4) * 4;
  const words = new Int32Array(buffer());
  const setJob = (gen: number) => {
    Atomics.store(new BigInt64Array(buffer()), ctl / 8, BigInt(gen) << 32n);
    Atomics.store(words, ctl / 4 + 2, 0);
  };

  it('computes the bits of matmul, chunk by chunk, and counts the chunks', () => {
    ex.matmul(aP, bP, c1, m, k, n, rows, 1);
    for (const chunkBlocks of [1, 2, 3, 10]) {
      new Float32Array(buffer(), c2, cWords).fill(7);
      setJob(41 + chunkBlocks);
      ex.matmulChunks(ctl, 41 + chunkBlocks, aP, bP, c2, m, k, n, rows, chunkBlocks, 1);
      expect([...bits(new Float32Array(buffer(), c2, cWords))]).toEqual([...bits(new Float32Array(buffer(), c1, cWords))]);
      expect(Atomics.load(words, ctl / 4 + 2)).toBe(Math.ceil(Math.ceil(m / 4) / chunkBlocks));
    }
  });

  it('claims nothing for a stale job generation', () => {
    setJob(9);
    new Float32Array(buffer(), c2, cWords).fill(7);
    ex.matmulChunks(ctl, 8, aP, bP, c2, m, k, n, rows, 1, 1);
    expect(new Float32Array(buffer(), c2, cWords).every((x) => x === 7)).toBe(true);
    expect(Atomics.load(words, ctl / 4)).toBe(0); // next chunk unchanged
    expect(Atomics.load(words, ctl / 4 + 2)).toBe(0);
  });
});
