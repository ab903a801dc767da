/**
 * data/workers on host/threads: a named transform runs on N threads with its results in
 * order, inputs copied and results' ArrayBuffers moved back; an error keeps its name, message
 * and userFacing flag; a pool never keeps a finished process alive. (Dataset.map's use of it:
 * dataset.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, onStart } from '../../src/data/transform-worker.ts';
import { WorkerPool, workerTransform } from '../../src/data/workers.ts';

type In = { id: number; v: Float32Array };
const FNS = new URL('./fixtures/worker-fns.ts', import.meta.url);

describe('WorkerPool', () => {
  const pool = new WorkerPool(workerTransform<In, In & { thread: number }>(FNS, 'double', { factor: 3 }), 3);
  afterAll(() => pool.close());

  it('runs a transform on 3 threads, each result for its own input', async () => {
    const inputs = Array.from({ length: 24 }, (_, id) => ({ id, v: Float32Array.of(id, 1) }));
    const out = await Promise.all(inputs.map((x) => pool.run(x)));
    expect(out.map((o) => o.id)).toEqual(inputs.map((x) => x.id));
    expect(out.map((o) => [...o.v])).toEqual(inputs.map((x) => [3 * x.id, 3]));
    expect(new Set(out.map((o) => o.thread)).size).toBe(3);
    expect(inputs[7]!.v).toEqual(Float32Array.of(7, 1)); // copied, not moved
  });

  it("re-raises a transform's error with its name, message and userFacing flag, and keeps serving", async () => {
    await expect(pool.run({ id: -4, v: new Float32Array(1) })).rejects.toMatchObject({ name: 'DataError', message: 'negative id -4', userFacing: true });
    expect((await pool.run({ id: 2, v: Float32Array.of(1) })).v).toEqual(Float32Array.of(3));
  });

  it('rejects every task when the export does not exist', async () => {
    const bad = new WorkerPool(workerTransform<In, In>(FNS, 'nope', null), 1);
    await expect(bad.run({ id: 1, v: new Float32Array(1) })).rejects.toThrow(/has no exported function nope/);
    await bad.close();
  });

  it('moves results back: the worker no longer holds what it returned', async () => {
    const one = new WorkerPool(workerTransform<{ id: number }, { v: Float32Array; previousDetached: boolean | null }>(FNS, 'moved', null), 1);
    const first = await one.run({ id: 1 });
    const second = await one.run({ id: 2 });
    await one.close();
    expect([first.previousDetached, second.previousDetached]).toEqual([null, true]);
    expect([first.v[0], second.v[0]]).toEqual([1, 2]);
  });

  it('rejects a worker count that is not a positive integer', () => {
    expect(() => new WorkerPool(workerTransform(FNS, 'double', null), 0)).toThrow(/positive integer, got 0/);
  });

  it('never keeps a finished process alive (a pool used and never closed)', () => {
    const fixture = fileURLToPath(new URL('./fixtures/pool-exit.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, 'the process was still running after 30 s').toBeNull();
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([2, 4, 6]);
  }, 40_000);
});

describe('transform-worker', () => {
  it('moves each non-shared ArrayBuffer of the result once, and no shared one', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    await onStart({ module: FNS.href, exportName: 'views', arg: { shared } });
    const t = await apply(null);
    const out = t.value as { a: Float32Array; raw: ArrayBuffer; list: Uint8Array[] };
    expect(t.buffers).toHaveLength(3);
    expect(new Set(t.buffers)).toEqual(new Set([out.a.buffer, out.raw, out.list[0]!.buffer]));
  });
});
