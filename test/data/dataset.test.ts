import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dataset } from '../../src/data/dataset.ts';
import { DataError } from '../../src/data/errors.ts';
import { encodeRecords } from '../../src/data/tfrecord.ts';
import { workerTransform } from '../../src/data/workers.ts';

const list = <T>(ds: Dataset<T>) => ds.toArray();
const tmp = () => mkdtempSync(join(tmpdir(), 'tpusim-ds-'));

describe('Dataset basics', () => {
  it('is lazy and re-iterable', async () => {
    let pulls = 0;
    const ds = Dataset.fromGenerator(function* () {
      for (let i = 0; i < 3; i++) {
        pulls++;
        yield i;
      }
    }).map((x) => x * 10);
    expect(pulls).toBe(0);
    expect(await list(ds)).toEqual([0, 10, 20]);
    expect(await list(ds)).toEqual([0, 10, 20]);
    expect(pulls).toBe(6);
  });

  it('take, skip, filter, range', async () => {
    expect(await list(Dataset.range(10).skip(2).take(3))).toEqual([2, 3, 4]);
    expect(await list(Dataset.range(10).filter((x) => x % 3 === 0))).toEqual([0, 3, 6, 9]);
    expect(await list(Dataset.range(2, 8, 3))).toEqual([2, 5]);
    expect(await list(Dataset.range(3).repeat().take(7))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});

describe('batch and repeat (tf.data semantics)', () => {
  it('repeat-then-batch lets batches straddle epochs; batch-then-repeat does not', async () => {
    const rb = await list(Dataset.range(5).repeat(2).batch(3, { collate: false }));
    expect(rb).toEqual([[0, 1, 2], [3, 4, 0], [1, 2, 3], [4]]);
    const br = await list(Dataset.range(5).batch(3, { collate: false }).repeat(2));
    expect(br).toEqual([[0, 1, 2], [3, 4], [0, 1, 2], [3, 4]]);
  });

  it('dropRemainder drops the short last batch', async () => {
    expect(await list(Dataset.range(7).batch(3, { dropRemainder: true, collate: false }))).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it('stacks elements: numbers, typed arrays (row-major) and objects', async () => {
    const ds = Dataset.range(3).map((i) => ({ image: Float32Array.of(i, i + 0.5), label: i, name: `n${i}` }));
    const [b] = await list(ds.batch(3));
    expect(b!.image).toEqual(Float32Array.of(0, 0.5, 1, 1.5, 2, 2.5));
    expect(b!.label).toEqual(Float64Array.of(0, 1, 2));
    expect(b!.name).toEqual(['n0', 'n1', 'n2']);
  });

  it('refuses to stack arrays of different lengths', async () => {
    const ds = Dataset.from([new Uint8Array(2), new Uint8Array(3)]).batch(2);
    await expect(list(ds)).rejects.toThrow(/batch: cannot stack elements: element 0 is Uint8Array\(2\), element 1 is Uint8Array\(3\)/);
  });
});

describe('shuffle (tf.data buffer semantics)', () => {
  const order = (ds: Dataset<number>) => list(ds);

  it('is a seeded permutation; a buffer of 1 changes nothing', async () => {
    const a = await order(Dataset.range(50).shuffle(10, { seed: 5 }));
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(a).not.toEqual([...Array(50).keys()]);
    expect(await order(Dataset.range(50).shuffle(10, { seed: 5 }))).toEqual(a);
    expect(await order(Dataset.range(20).shuffle(1, { seed: 5 }))).toEqual([...Array(20).keys()]);
  });

  it('an element can move forward at most bufferSize - 1 places', async () => {
    for (const seed of [1, 2, 3]) {
      const out = await order(Dataset.range(200).shuffle(8, { seed }));
      out.forEach((x, i) => expect(x).toBeLessThanOrEqual(i + 7));
    }
  });

  it('reshuffles each epoch unless told not to', async () => {
    const epochs = async (reshuffleEachIteration: boolean) => {
      const all = await order(Dataset.range(20).shuffle(20, { seed: 9, reshuffleEachIteration }).repeat(2));
      return [all.slice(0, 20), all.slice(20)];
    };
    const [a1, a2] = await epochs(true);
    expect(a1).not.toEqual(a2);
    expect([...a2!].sort((x, y) => x - y)).toEqual([...Array(20).keys()]); // each epoch complete
    const [b1, b2] = await epochs(false);
    expect(b1).toEqual(b2);
  });

  it('shuffle-then-repeat keeps epochs apart; repeat-then-shuffle mixes them', async () => {
    const sr = await order(Dataset.range(10).shuffle(10, { seed: 1 }).repeat(2));
    expect(new Set(sr.slice(0, 10)).size).toBe(10);
    const rs = await order(Dataset.range(10).repeat(2).shuffle(10, { seed: 1 }));
    expect(new Set(rs.slice(0, 10)).size).toBeLessThan(10);
  });
});

describe('interleave', () => {
  it("reproduces TensorFlow's documented example (cycle 2, block 4)", async () => {
    const ds = Dataset.range(1, 6).interleave((x) => Dataset.from([x]).repeat(6), { cycleLength: 2, blockLength: 4 });
    expect(await list(ds)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5]);
  });

  it('non-deterministic mode yields the same elements', async () => {
    const ds = Dataset.range(1, 6).interleave((x) => Dataset.range(x * 10, x * 10 + x), { cycleLength: 3, deterministic: false });
    const got = await list(ds);
    expect(got.sort((a, b) => a - b)).toEqual([10, 20, 21, 30, 31, 32, 40, 41, 42, 43, 50, 51, 52, 53, 54]);
  });
});

describe('map, prefetch, cache', () => {
  it('map with numParallelCalls runs calls concurrently and keeps order', async () => {
    let inFlight = 0;
    let most = 0;
    const ds = Dataset.range(12).map(
      async (x) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, (12 - x) % 4));
        inFlight--;
        return x * 2;
      },
      { numParallelCalls: 4 },
    );
    expect(await list(ds)).toEqual([...Array(12).keys()].map((x) => x * 2));
    expect(most).toBe(4);
  });

  it('prefetch reads ahead of the consumer', async () => {
    let pulled = 0;
    const ds = Dataset.range(10).map((x) => (pulled++, x)).prefetch(3);
    const it = ds[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(pulled).toBeGreaterThanOrEqual(3);
    await it.return?.();
  });

  it('a memory cache replays after one complete pass (a partial pass is not kept)', async () => {
    let pulls = 0;
    const ds = Dataset.range(5).map((x) => (pulls++, x)).cache();
    expect(await list(ds.take(2))).toEqual([0, 1]);
    expect(await list(ds)).toEqual([0, 1, 2, 3, 4]);
    expect(await list(ds)).toEqual([0, 1, 2, 3, 4]);
    expect(pulls).toBe(2 + 5);
  });

  it('a memory cache with a budget: kept when the pass fits, never when it outgrows it', async () => {
    let pulls = 0;
    const fits = Dataset.range(4).map((x) => (pulls++, x)).cache({ maxBytes: 32, bytesOf: () => 8 });
    expect(await list(fits)).toEqual([0, 1, 2, 3]);
    expect(await list(fits)).toEqual([0, 1, 2, 3]);
    expect(pulls).toBe(4);
    pulls = 0;
    const big = Dataset.range(5).map((x) => (pulls++, x)).cache({ maxBytes: 32, bytesOf: () => 8 });
    expect(await list(big)).toEqual([0, 1, 2, 3, 4]);
    expect(await list(big)).toEqual([0, 1, 2, 3, 4]);
    expect(pulls).toBe(10);
  });

  it('a file cache survives into a new dataset (a later run)', async () => {
    const path = join(tmp(), 'cache.bin');
    const make = (tag: number) => Dataset.range(4).map((x) => ({ x, tag, v: Float32Array.of(x) })).cache(path);
    expect((await list(make(1))).map((e) => e.tag)).toEqual([1, 1, 1, 1]);
    const again = await list(make(2)); // served from the file: tag 1, not 2
    expect(again.map((e) => [e.x, e.tag])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1]]);
    expect(again[3]!.v).toEqual(Float32Array.of(3));
  });
});

describe('files', () => {
  it('fromFiles globs sorted paths; no match is a DataError', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sub'));
    for (const f of ['b.tfrec', 'a.tfrec', 'c.txt', 'sub/d.tfrec']) writeFileSync(join(dir, f), '');
    expect(await list(Dataset.fromFiles(join(dir, '*.tfrec')))).toEqual([join(dir, 'a.tfrec'), join(dir, 'b.tfrec')]);
    expect(await list(Dataset.fromFiles(join(dir, '**', '[ad].tfrec')))).toEqual([join(dir, 'a.tfrec'), join(dir, 'sub/d.tfrec')]);
    await expect(list(Dataset.fromFiles(join(dir, '*.nope')))).rejects.toThrow(DataError);
  });

  it('tfrecord interleaves files record by record with numParallelReads', async () => {
    const dir = tmp();
    const enc = (xs: string[]) => encodeRecords(xs.map((s) => new TextEncoder().encode(s)));
    const files = ['a', 'b', 'c'].map((n) => join(dir, `${n}.tfrec`));
    writeFileSync(files[0]!, enc(['a0', 'a1']));
    writeFileSync(files[1]!, enc(['b0', 'b1', 'b2']));
    writeFileSync(files[2]!, enc(['c0']));
    const text = async (ds: Dataset<Uint8Array>) => (await list(ds)).map((b) => new TextDecoder().decode(b));
    expect(await text(Dataset.tfrecord(files))).toEqual(['a0', 'a1', 'b0', 'b1', 'b2', 'c0']);
    expect(await text(Dataset.tfrecord(files, { numParallelReads: 2 }))).toEqual(['a0', 'b0', 'a1', 'b1', 'b2', 'c0']);
  });
});

describe('map on worker threads', () => {
  const fn = workerTransform<{ id: number; v: Float32Array }, { id: number; v: Float32Array; thread: number }>(new URL('./fixtures/worker-fns.ts', import.meta.url), 'double', { factor: 3 });

  it('runs a named transform on 2 workers, in order, without detaching inputs', async () => {
    const inputs = Array.from({ length: 16 }, (_, id) => ({ id, v: Float32Array.of(id, 1) }));
    const out = await list(Dataset.from(inputs).map(fn, { workers: 2 }));
    expect(out.map((o) => o.id)).toEqual(inputs.map((i) => i.id));
    expect(out[5]!.v).toEqual(Float32Array.of(15, 3));
    expect(new Set(out.map((o) => o.thread)).size).toBe(2);
    expect(inputs[5]!.v).toEqual(Float32Array.of(5, 1)); // still usable
  });

  it("re-raises a worker's error with its name, message and userFacing flag", async () => {
    const ds = Dataset.from([{ id: 1, v: new Float32Array(1) }, { id: -2, v: new Float32Array(1) }]).map(fn, { workers: 1 });
    const err = await list(ds).catch((e: unknown) => e as Error & { userFacing?: boolean });
    expect(err).toMatchObject({ name: 'DataError', message: 'negative id -2', userFacing: true });
  });
});
