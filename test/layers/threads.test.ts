import { describe, expect, it } from 'vitest';
import { LayerConfigError, adam, defaultThreads, interpreterEngine, batchNormalization, conv2d, dense, dropout, globalAveragePooling2d, sequential, tpuStrategy, type Model } from '../../src/layers/index.ts';

/** n seeded 6x6x2 images of 3 classes (class = brightest channel pattern, with noise). */
function images(n: number, seed: number) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const xs = new Float32Array(n * 72);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ys[i] = i % 3;
    for (let j = 0; j < 72; j++) xs[i * 72 + j] = rand() + (j % 3 === ys[i] ? 0.5 : 0);
  }
  return { xs, ys };
}

function net(): Model {
  return sequential(
    [
      conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 2] }),
      batchNormalization({ momentum: 0.9 }),
      globalAveragePooling2d(),
      dropout({ rate: 0.2 }),
      dense({ units: 3, activation: 'softmax' }),
    ],
    { seed: 5 },
  );
}

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

async function train(threads: number | 'auto') {
  const m = net();
  m.compile({ optimizer: adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], strategy: tpuStrategy({ cores: 8, threads }) });
  const data = [images(16, 1), images(16, 2), images(16, 3)];
  // validation: one batch that splits over the 8 cores, one that does not (runs on replica 0)
  const h = await m.fit(data, { epochs: 2, validationData: [images(16, 9), images(12, 10)] });
  const t = m.trainer!;
  return {
    h,
    weights: m.weights.map((w) => bitsOf(w.value!)),
    replicas: await Promise.all(Array.from({ length: 8 }, async (_, r) => { const values = await t.replica(r); return m.weights.map((w) => bitsOf(values.get(w)!)); })),
    threadsAfter: t.threads,
    threadsUsed: t.threadsUsed,
    step: t.step,
  };
}

let reference: ReturnType<typeof train> | undefined;
/** The main-thread run every other run must equal (trained once). */
const mainThread = () => (reference ??= train(1));

describe('fit on worker threads', () => {
  it('gives the same weights, losses, metrics and simulated time for 1, 2 and 3 host threads', async () => {
    const one = await mainThread();
    expect(one.step).toBe(6);
    for (let r = 1; r < 8; r++) expect(one.replicas[r]).toEqual(one.replicas[0]);
    for (const threads of [2, 3]) {
      const got = await train(threads);
      expect(got.weights).toEqual(one.weights);
      expect(got.replicas).toEqual(one.replicas);
      expect(got.h.history).toEqual(one.h.history);
      expect(got.h.deviceSeconds).toEqual(one.h.deviceSeconds);
      expect(got.h.steps).toEqual(one.h.steps);
      expect(got.threadsAfter).toBe(1); // the workers are gone when fit returns
      expect(got.threadsUsed).toBe(threads);
    }
    expect(one.h.history.loss[1]!).toBeLessThan(one.h.history.loss[0]!);
  });

  it("'auto' keeps a tiny model on the main thread, and a switch to workers mid-fit changes no bit", async () => {
    const one = await mainThread();
    const tiny = await train('auto');
    expect(tiny.threadsUsed).toBe(1); // its steps take milliseconds: never worth a worker
    expect(tiny.weights).toEqual(one.weights);
    // every step counts as long and 2 CPUs count as idle: workers start after step 1; the
    // data waits for them before step 2
    const workers = Math.min(2, defaultThreads(8));
    const m = net();
    const strategy = { ...tpuStrategy({ cores: 8, threads: 'auto', autoThreadsStepSeconds: 0 }), spareThreads: () => 2 };
    m.compile({ optimizer: adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], strategy });
    async function* data() {
      for (let i = 0; i < 3; i++) {
        if (i === 1 && workers > 1) for (let waited = 0; !m.trainer!.workersReady && waited < 30_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
        yield images(16, i + 1);
      }
    }
    const h = await m.fit({ [Symbol.asyncIterator]: data }, { epochs: 2, validationData: [images(16, 9), images(12, 10)] });
    expect(m.trainer!.threadsUsed).toBe(workers);
    expect(m.weights.map((w) => bitsOf(w.value!))).toEqual(one.weights);
    expect(h.history).toEqual(one.h.history);
    expect(h.deviceSeconds).toEqual(one.h.deviceSeconds);
  });

  it('the reference interpreter runs the same SPMD step on 8 replicas in lockstep, with the board\'s bits', async () => {
    const run = async (engine?: ReturnType<typeof interpreterEngine>) => {
      const m = net();
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', ...(engine ? { engine } : {}), strategy: tpuStrategy({ cores: 8, threads: 1 }) });
      const h = await m.fit([images(16, 1), images(16, 2)], { epochs: 1 });
      return { weights: m.weights.map((w) => bitsOf(w.value!)), h: h.history };
    };
    expect(await run(interpreterEngine())).toEqual(await run());
  });

  it('stops its workers when fit throws, and keeps the weights of the last finished step', async () => {
    const m = net();
    m.compile({ optimizer: adam(), loss: 'sparseCategoricalCrossentropy', strategy: tpuStrategy({ cores: 8, threads: 2 }) });
    await expect(m.fit([images(16, 1), images(12, 2)], { epochs: 1 })).rejects.toThrow(/global batch 12 does not split evenly over 8 cores/);
    expect(m.trainer!.threads).toBe(1);
    const ref = net();
    ref.compile({ optimizer: adam(), loss: 'sparseCategoricalCrossentropy', strategy: tpuStrategy({ cores: 8, threads: 1 }) });
    await ref.fit([images(16, 1)], { epochs: 1 });
    expect(m.weights.map((w) => bitsOf(w.value!))).toEqual(ref.weights.map((w) => bitsOf(w.value!)));
  });

  it('rejects a thread count that is not a positive integer or auto', () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) expect(() => tpuStrategy({ cores: 8, threads })).toThrow(LayerConfigError);
    expect(() => tpuStrategy({ cores: 8, threads: 0 })).toThrow(/tpuStrategy threads must be a positive integer or 'auto', got 0/);
    expect(tpuStrategy({ cores: 4, threads: 16 }).threads).toBe(4); // never more threads than cores
  });
});
