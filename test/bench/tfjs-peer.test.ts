/**
 * The TensorFlow.js training peer (bench/peers/tfjs-train.ts): the Conv2DBackpropFilter it
 * registers for the 'wasm' backend must agree with the 'cpu' backend's own kernel, and a
 * training step of squeeze-fast on wasm must match one on cpu. Small shapes only; no timing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildSqueezeFast,
  conv2dBackpropFilterWasm,
  filterGradPadding,
  SQUEEZE_FAST_PARAMS,
  syntheticBatch,
  tfjsTrainPeer,
  useBackend,
  type TfjsBackend,
} from '../../bench/peers/tfjs-train.ts';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number;

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** max |a - b| / (1 + max |b|): f32 sums of up to a few thousand terms stay far below 1e-4. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / (1 + m);
}

async function on(backend: TfjsBackend): Promise<void> {
  await useBackend(backend);
  expect(tf.getBackend()).toBe(backend);
}

/** Runs backend's Conv2DBackpropFilter kernel (through the engine, as conv2d's gradient does). */
async function backpropFilter(backend: TfjsBackend, xShape: Shape4, filterShape: Shape4, strides: number | [number, number], pad: Pad, seed: number): Promise<Float32Array> {
  await on(backend);
  const convInfo = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad);
  const dyShape = convInfo.outShape;
  const x = tf.tensor4d(values(size(xShape), seed), xShape);
  const dy = tf.tensor4d(values(size(dyShape), seed + 1), dyShape);
  const before = tf.backend().numDataIds();
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
  expect(dw.shape).toEqual(filterShape);
  const out = dw.dataSync() as Float32Array;
  dw.dispose();
  // No leaked intermediate buffers in the backend.
  expect(tf.backend().numDataIds()).toBe(before);
  tf.dispose([x, dy]);
  return out;
}

beforeAll(async () => {
  // cpu first: its one-time "use tfjs-node" hint is silenced by prod mode (useBackend).
  await on('cpu');
  await on('wasm');
});

describe('the Conv2DBackpropFilter kernel registered for wasm', () => {
  it('is ours, and the wasm peer reports it', async () => {
    const { registered, threads, wasmBinary } = await useBackend('wasm');
    expect(registered).toEqual(['Conv2DBackpropFilter']);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(conv2dBackpropFilterWasm);
    expect(threads).toBe(1);
    expect(wasmBinary).not.toMatch(/threaded/);
  });

  it('pads like JAX conv_general_vjp_rhs_padding (SAME: the extra pixel after)', () => {
    // 6x6 stride 2 SAME on 9 rows: 5 outputs, 5 pad rows, 2 before and 3 after.
    expect(filterGradPadding(9, 6, 2, 5, 2)).toEqual([2, 3]);
    // 3x3 stride 2 SAME on 8 rows: 4 outputs, one pad row, after.
    expect(filterGradPadding(8, 3, 2, 4, 0)).toEqual([0, 1]);
    // 3x3 stride 2 VALID on 8 rows: 3 outputs, the last row is never read: crop it.
    expect(filterGradPadding(8, 3, 2, 3, 0)).toEqual([0, -1]);
  });

  const cases: { name: string; x: Shape4; f: Shape4; strides: number | [number, number]; pad: Pad }[] = [
    { name: '1x1 stride 1 valid (one matmul)', x: [2, 5, 5, 4], f: [1, 1, 4, 3], strides: 1, pad: 'valid' },
    { name: '1x1 stride 1 same (one matmul)', x: [3, 4, 6, 7], f: [1, 1, 7, 5], strides: 1, pad: 'same' },
    { name: '3x3 stride 1 same, odd size', x: [2, 7, 7, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
    { name: '3x3 stride 1 same, 3x3 image (squeeze-fast fire 2 at 24 px)', x: [4, 3, 3, 6], f: [3, 3, 6, 4], strides: 1, pad: 'same' },
    { name: '6x6 stride 2 same, even size (symmetric pad)', x: [2, 16, 16, 3], f: [6, 6, 3, 4], strides: 2, pad: 'same' },
    { name: '6x6 stride 2 same, odd size (pad 2 before, 3 after)', x: [2, 9, 11, 3], f: [6, 6, 3, 4], strides: 2, pad: 'same' },
    { name: '3x3 stride 2 same, even size (pad 0 before, 1 after)', x: [2, 8, 8, 2], f: [3, 3, 2, 3], strides: 2, pad: 'same' },
    { name: '3x3 stride 1 valid, odd sizes', x: [2, 7, 6, 3], f: [3, 3, 3, 2], strides: 1, pad: 'valid' },
    { name: '3x3 stride 2 valid, a trailing row unread (cropped)', x: [2, 8, 9, 2], f: [3, 3, 2, 3], strides: 2, pad: 'valid' },
    { name: '1x1 stride 2 valid (cropped, conv path)', x: [2, 6, 6, 3], f: [1, 1, 3, 2], strides: 2, pad: 'valid' },
    { name: '2x3 kernel, strides [2, 1], same', x: [2, 7, 5, 3], f: [2, 3, 3, 4], strides: [2, 1], pad: 'same' },
    { name: '3x3 stride 1, explicit pad 1', x: [1, 5, 5, 2], f: [3, 3, 2, 2], strides: 1, pad: 1 },
  ];
  for (const [i, c] of cases.entries()) {
    it(`matches the cpu backend's kernel: ${c.name}`, async () => {
      const want = await backpropFilter('cpu', c.x, c.f, c.strides, c.pad, 100 + i);
      const got = await backpropFilter('wasm', c.x, c.f, c.strides, c.pad, 100 + i);
      expect(relErr(got, want)).toBeLessThan(1e-5);
    });
  }
});

describe('squeeze-fast in tfjs-layers', () => {
  it('has 27,212 parameters at any size', async () => {
    await on('cpu');
    for (const s of [16, 24, 64]) {
      const m = buildSqueezeFast(s);
      expect(m.countParams()).toBe(SQUEEZE_FAST_PARAMS);
      m.dispose();
    }
  });

  it('has the same gradients on wasm as on cpu (every weight, from the same weights)', async () => {
    const S = 24; // fire 2 runs at 3x3, the stem conv at 12x12 (stride 2)
    const B = 4;
    const batch = syntheticBatch(5, B, S);
    const grads = async (backend: TfjsBackend): Promise<Float32Array[]> => {
      await on(backend);
      const model = buildSqueezeFast(S, 7);
      const xs = tf.tensor4d(batch.xs, [B, S, S, 3]);
      const ys = tf.oneHot(tf.tensor1d(batch.ys, 'int32'), 5);
      const { grads: g } = tf.variableGrads(() => tf.mul(tf.losses.logLoss(ys, model.apply(xs) as tf.Tensor), 100) as tf.Scalar);
      const out = model.trainableWeights.map((w) => g[w.originalName]!.dataSync() as Float32Array);
      tf.dispose([xs, ys, ...Object.values(g)]);
      model.dispose();
      return out;
    };
    const want = await grads('cpu');
    const got = await grads('wasm');
    expect(got).toHaveLength(16); // 8 convs, kernel and bias each
    for (const [i, w] of want.entries()) {
      expect(w.some((v) => v !== 0)).toBe(true);
      expect(relErr(got[i]!, w), `weight ${i}`).toBeLessThan(1e-4);
    }
  });

  it('trains one step on wasm to the same loss as on cpu, and both loops agree', async () => {
    const opts = { imageSize: 24, batch: 4, steps: 1, warmup: 1, seed: 3 } as const;
    const cpu = await tfjsTrainPeer({ ...opts, backend: 'cpu' });
    const wasm = await tfjsTrainPeer({ ...opts, backend: 'wasm' });
    const wasmMin = await tfjsTrainPeer({ ...opts, backend: 'wasm', loop: 'minimize' });
    expect(cpu.registered).toEqual([]);
    expect(wasm.registered).toEqual(['Conv2DBackpropFilter']);
    expect(wasm.params).toBe(SQUEEZE_FAST_PARAMS);
    expect(wasm.msPerStep).toHaveLength(1);
    expect(Number.isFinite(wasm.imagesPerSecond)).toBe(true);
    // losses[0] is before any update, losses[1] after one Adam step on batch 0.
    expect(wasm.losses).toHaveLength(2);
    expect(wasm.losses[1]).not.toBe(wasm.losses[0]);
    for (const r of [wasm, wasmMin]) {
      for (const [i, l] of cpu.losses.entries()) expect(Math.abs(r.losses[i]! - l), `${r.loop} step ${i}`).toBeLessThan(1e-5);
    }
  });
});
