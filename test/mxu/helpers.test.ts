/**
 * The MXU kernel's helper threads (src/mxu/worker.ts, on host/threads): the compiled module
 * and the shared memory reach a helper intact (it computes a whole pass in place, the calling
 * thread claiming nothing), a trap sets the failure flag and wakes the waiter, and helpers
 * never keep a finished process alive.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelModule } from '../../src/mxu/wasm-module.ts';
import { CTL_DONE, CTL_FAILED, KernelHelpers, type ChunkJob } from '../../src/mxu/worker.ts';
import { bits, randomOperand } from './kernel-operands.ts';

interface Exports {
  heapBase(): number;
  packA(src: number, dst: number, m: number, k: number, flush: number): void;
  packB(src: number, dst: number, k: number, n: number, flush: number): void;
  matmul(aP: number, bP: number, c: number, m: number, k: number, n: number, rows: number, clear: number): void;
}

describe('KernelHelpers', () => {
  const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: SharedArrayBuffer }; Instance: new (m: object, i: object) => { exports: Exports } } }).WebAssembly;
  const memory = new api.Memory({ initial: 64, maximum: 65536, shared: true });
  const ex = new api.Instance(kernelModule(), { env: { memory, abort: () => { throw new Error('abort'); } } }).exports;
  const helpers = new KernelHelpers(kernelModule(), memory);
  afterAll(() => helpers.close());

  const [m, k, n, rows] = [45, 70, 13, 32];
  const base = Math.ceil(ex.heapBase() / 64) * 64;
  const [ctl, src, aP, bP, c1, c2] = [base, base + 64, base + 65536, base + 2 * 65536, base + 3 * 65536, base + 4 * 65536];
  const cWords = Math.ceil(m / 4) * 4 * Math.ceil(n / 4) * 4;
  const words = new Int32Array(memory.buffer);
  /** Posts `job` to the helpers only and waits (blocking this thread) until `chunks` are done or one failed. */
  const runOnHelpers = (job: ChunkJob, chunks: number): void => {
    Atomics.store(new BigInt64Array(memory.buffer), ctl / 8, BigInt(job.gen) << 32n);
    Atomics.store(words, ctl / 4 + CTL_DONE, 0);
    Atomics.store(words, ctl / 4 + CTL_FAILED, 0);
    helpers.post(job, 2);
    const deadline = Date.now() + 10_000;
    for (let done; (done = Atomics.load(words, ctl / 4 + CTL_DONE)) < chunks && Atomics.load(words, ctl / 4 + CTL_FAILED) === 0 && Date.now() < deadline; ) {
      Atomics.wait(words, ctl / 4 + CTL_DONE, done, 100);
    }
  };

  it("computes a whole pass on the helpers alone, in the caller's shared memory, with the bits of matmul", async () => {
    helpers.ensure(2);
    expect(helpers.count).toBe(2);
    await helpers.ready();
    const f32 = new Float32Array(memory.buffer);
    f32.set(randomOperand(m * k, 5, 0.05, 20), src / 4);
    ex.packA(src, aP, m, k, 0);
    f32.set(randomOperand(k * n, 6, 0.05, 20), src / 4);
    ex.packB(src, bP, k, n, 0);
    ex.matmul(aP, bP, c1, m, k, n, rows, 1);
    new Float32Array(memory.buffer, c2, cWords).fill(7);
    const chunks = Math.ceil(m / 4);
    runOnHelpers({ ctl, gen: 3, aP, bP, c: c2, m, k, n, rows, chunkBlocks: 1, clear: 1 }, chunks);
    expect(Atomics.load(words, ctl / 4 + CTL_FAILED)).toBe(0);
    expect(Atomics.load(words, ctl / 4 + CTL_DONE)).toBe(chunks);
    expect([...bits(new Float32Array(memory.buffer, c2, cWords))]).toEqual([...bits(new Float32Array(memory.buffer, c1, cWords))]);
  });

  it('sets the failure flag and wakes the waiter when a helper traps', async () => {
    await helpers.ready();
    runOnHelpers({ ctl, gen: 4, aP, bP, c: 0x7fff0000, m, k, n, rows, chunkBlocks: 1, clear: 1 }, Math.ceil(m / 4)); // C out of bounds
    expect(Atomics.load(words, ctl / 4 + CTL_FAILED)).toBe(1);
  });

  it('never keeps a finished process alive (helpers started and used, never stopped)', () => {
    const fixture = fileURLToPath(new URL('./fixtures/helpers-exit.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, 'the process was still running after 30 s').toBeNull();
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ same: true });
  }, 40_000);
});
