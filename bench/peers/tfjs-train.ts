/**
 * TensorFlow.js training peer: the codelab's "squeeze it as fast as you can" model trained
 * by tfjs-layers on tfjs's 'wasm' backend (one thread, XNNPACK) or its 'cpu' backend (plain
 * JS), measured at its best: prod mode, a warm-up step, the median of the timed steps.
 *
 *   npx tsx bench/peers/tfjs-train.ts --backend wasm --image-size 64 --batch 128 --steps 5
 *     [--seed 1] [--warmup 1] [--loop minimize|trainOnBatch] [--json]
 *
 * The missing piece. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (the conv
 * filter gradient), so `trainOnBatch` of any convnet throws there. `registerWasmTrainingKernels`
 * registers one for 'wasm', built only from kernels the wasm backend has (called through the
 * public kernel registry, `tf.getKernel`), and says so: the peer's result lists every kernel
 * this module added. Nothing else is missing: `tf.profile` of a step lists Conv2D, Add, Relu
 * (tfjs unfuses conv+bias+relu under a gradient), MaxPool, Concat, Mean, Softmax, the loss's
 * Floor/Cast/OneHot/ClipByValue/Log/Sum, and for the backward pass and Adam Step, Select,
 * SplitV, MaxPoolGrad, Conv2DBackpropInput, Square, Sqrt and element-wise kernels: all native
 * to the wasm backend except Conv2DBackpropFilter (test/bench/tfjs-peer.test.ts trains on it).
 *
 * How dW is computed (NHWC x [B, H, W, Ci], dy [B, Ho, Wo, Co], dW [KH, KW, Ci, Co]):
 *
 *   dW[kh, kw, ci, co] = sum_{b, i, j} xpad[b, i*sh + kh, j*sw + kw, ci] * dy[b, i, j, co]
 *
 * which is ONE forward convolution with batch and channels swapped: the input is x transposed
 * to [Ci, H, W, B] (batch Ci, channels B), the filter is dy transposed to [Ho, Wo, B, Co]
 * (a Ho x Wo window, B in, Co out), the forward conv's strides become the dilation and the
 * stride is 1 (the forward dilation, always 1 for tfjs conv gradients). Its output
 * [Ci, KH, KW, Co] is transposed back to [KH, KW, Ci, Co]. Padding is JAX's
 * conv_general_vjp_rhs_padding rule: low = the forward conv's low padding, high = what makes
 * exactly KH outputs, (Ho - 1) * sh + KH - H - low (TensorFlow's SAME puts the odd pixel
 * after, and computeConv2DInfo gives us its low side). A negative high pad (VALID with a
 * stride that leaves trailing rows unread) crops those rows instead. A 1x1 stride-1 unpadded
 * conv is one matmul instead: x as [B*H*W, Ci] transposed times dy as [B*H*W, Co] (the
 * transpose done by the Transpose kernel: BatchMatMul's own transposeA is ~4x slower).
 *
 * Loss: sparse categorical cross-entropy (tfjs-layers' 'sparseCategoricalCrossentropy':
 * labels are class ids 0..4, one-hot inside the loss, on the softmax's probabilities).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';

export type TfjsBackend = 'wasm' | 'cpu';
export type TrainLoop = 'trainOnBatch' | 'minimize';

/** Classes of the flowers data set; the model's last conv has this many filters. */
export const CLASSES = 5;
/** squeeze-fast's parameter count, as Keras counts it, at any image size. */
export const SQUEEZE_FAST_PARAMS = 27_212;

// ---------------------------------------------------------------------------------------
// The wasm backend's missing kernel.

type Shape4 = [number, number, number, number];

/** The backend a kernel function receives: only what this module calls on it. */
interface KernelBackendLike {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** Runs the wasm backend's own kernel `name` (from the public registry) on `backend`. */
function wasmKernel(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, backend: KernelBackendLike): tf.TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`tfjs peer: the wasm backend has no ${name} kernel`);
  const out = k.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`tfjs peer: ${name} returned ${out.length} outputs, expected one`);
  return out;
}

/**
 * Padding of the filter-gradient convolution along one spatial axis (JAX's
 * conv_general_vjp_rhs_padding with unit dilations): [low, high], where high may be negative
 * (the trailing -high input rows are never read by the forward conv).
 */
export function filterGradPadding(inSize: number, kernel: number, stride: number, outSize: number, padLow: number): [number, number] {
  return [padLow, (outSize - 1) * stride + kernel - inSize - padLow];
}

/**
 * Conv2DBackpropFilter for the 'wasm' backend: inputs {x, dy}, attrs {strides, pad,
 * dataFormat, dimRoundingMode, filterShape}, as tfjs-core's conv2d gradient calls it.
 */
export const conv2dBackpropFilterWasm: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const be = backend as KernelBackendLike;
  const x = inputs['x'];
  const dy = inputs['dy'];
  if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter: inputs x and dy are required');
  const a = (attrs ?? {}) as Record<string, unknown>;
  const dataFormat = (a['dataFormat'] as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (tfjs peer, wasm): dataFormat ${dataFormat} is not supported, use NHWC`);
  const filterShape = a['filterShape'] as Shape4;
  const strides = a['strides'] as number | [number, number];
  const pad = a['pad'] as 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  const rounding = a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, rounding ?? undefined, false, 'channelsLast');
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: Ho, outWidth: Wo, outChannels: Co } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const dyShape = dy.shape;
  if (dyShape.length !== 4 || dyShape[0] !== B || dyShape[1] !== Ho || dyShape[2] !== Wo || dyShape[3] !== Co) {
    throw new Error(`Conv2DBackpropFilter: dy shape [${dyShape.join(', ')}] does not match the conv's output [${[B, Ho, Wo, Co].join(', ')}]`);
  }
  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => (temps.push(t), t);
  try {
    const [top, bottom] = filterGradPadding(H, KH, sh, Ho, info.padInfo.top);
    const [left, right] = filterGradPadding(W, KW, sw, Wo, info.padInfo.left);
    if (KH === 1 && KW === 1 && sh === 1 && sw === 1 && top === 0 && bottom === 0 && left === 0 && right === 0) {
      // 1x1, stride 1, no padding: dW = x[N, Ci]^T . dy[N, Co], N = B*H*W.
      const n = B * H * W;
      // The explicit Transpose: wasm's BatchMatMul with transposeA is ~4x slower than both.
      const x2 = keep(wasmKernel('Reshape', { x }, { shape: [n, Ci] }, be));
      const xt = keep(wasmKernel('Transpose', { x: x2 }, { perm: [1, 0] }, be)); // [Ci, N]
      const dy2 = keep(wasmKernel('Reshape', { x: dy }, { shape: [n, Co] }, be));
      const dw = keep(wasmKernel('BatchMatMul', { a: xt, b: dy2 }, { transposeA: false, transposeB: false }, be)); // [1, Ci, Co]
      return wasmKernel('Reshape', { x: dw }, { shape: [1, 1, Ci, Co] }, be); // shares dw's data (a reference of its own)
    }
    // Crop the input rows/columns the forward conv never reads (negative high padding).
    let xs = x;
    if (bottom < 0 || right < 0) {
      const size = [B, H + Math.min(0, bottom), W + Math.min(0, right), Ci];
      xs = keep(wasmKernel('Slice', { x }, { begin: [0, 0, 0, 0], size }, be));
    }
    const xt = keep(wasmKernel('Transpose', { x: xs }, { perm: [3, 1, 2, 0] }, be)); // [Ci, H', W', B]
    const dyt = keep(wasmKernel('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, be)); // [Ho, Wo, B, Co]
    const explicit: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, Math.max(0, bottom)],
      [left, Math.max(0, right)],
      [0, 0],
    ];
    const conv = keep(
      wasmKernel('Conv2D', { x: xt, filter: dyt }, { strides: [1, 1], dilations: [sh, sw], pad: explicit, dataFormat: 'NHWC' }, be),
    ); // [Ci, KH, KW, Co]
    if (conv.shape[1] !== KH || conv.shape[2] !== KW) {
      throw new Error(`Conv2DBackpropFilter: internal conv gave [${conv.shape.join(', ')}], expected [${Ci}, ${KH}, ${KW}, ${Co}]`);
    }
    return wasmKernel('Transpose', { x: conv }, { perm: [1, 2, 0, 3] }, be); // [KH, KW, Ci, Co]
  } finally {
    for (const t of temps) be.disposeData(t.dataId);
  }
};

/** The kernels this module adds to the 'wasm' backend, by kernel name. */
const WASM_ADDITIONS: Readonly<Record<string, tf.KernelFunc>> = {
  Conv2DBackpropFilter: conv2dBackpropFilterWasm,
};

/**
 * Registers, for the 'wasm' backend, each kernel of WASM_ADDITIONS it does not already have.
 * Idempotent. Returns the kernel names registered by this module (now or earlier), i.e. the
 * pieces of the wasm peer that are ours, not tfjs's.
 */
export function registerWasmTrainingKernels(): string[] {
  const ours: string[] = [];
  for (const [kernelName, kernelFunc] of Object.entries(WASM_ADDITIONS)) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing === undefined) {
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
      ours.push(kernelName);
    } else if (existing.kernelFunc === kernelFunc) {
      ours.push(kernelName);
    }
  }
  return ours;
}

// ---------------------------------------------------------------------------------------
// Backends.

let wasmPathsSet = false;

/**
 * Makes `backend` tfjs's current backend. For 'wasm': wasm binaries from the installed
 * tfjs-backend-wasm package, one XNNPACK thread (in Node tfjs never loads its threaded
 * binary; setThreadsCount(1) makes one thread explicit), and this module's kernels.
 * Enables tfjs's prod mode (no debug checks, no "use tfjs-node" hint): it is process-wide.
 * Returns the kernels this module added and the wasm thread count (null for 'cpu').
 */
export async function useBackend(backend: TfjsBackend): Promise<{ registered: string[]; threads: number | null; wasmBinary: string | null }> {
  tf.enableProdMode();
  if (backend === 'wasm') {
    if (!wasmPathsSet) {
      const req = createRequire(import.meta.url);
      setWasmPaths(`${dirname(req.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
      setThreadsCount(1);
      wasmPathsSet = true;
    }
    const registered = registerWasmTrainingKernels();
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs peer: the wasm backend failed to initialize');
    await tf.ready();
    // The binary tfjs picked, by its own rule (backend_wasm.ts getPathToWasmBinary).
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    const wasmBinary = `tfjs-backend-wasm${simd && threaded ? '-threaded-simd' : simd ? '-simd' : ''}.wasm`;
    return { registered, threads: getThreadsCount(), wasmBinary };
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs peer: the cpu backend failed to initialize');
  await tf.ready();
  return { registered: [], threads: null, wasmBinary: null };
}

// ---------------------------------------------------------------------------------------
// The model.

/**
 * squeeze-fast at S x S x 3 in tfjs-layers: Conv2D(6x6, 42, same, relu, stride 2), pool,
 * fire(24, 60), pool, fire(27, 90), pool, Conv2D(1x1, 5, relu), global average pooling,
 * softmax. fire(x, s, e) = concat(conv1x1(e/2)(y), conv3x3(e/2, same)(y)), y = conv1x1(s)(x),
 * all relu. Weights: Glorot-uniform kernels seeded from `seed` (layer by layer), zero
 * biases, so the same seed gives the same weights on every backend. Layer order (and so
 * getWeights order) is tpusim's preset('squeeze-fast')'s.
 */
export function buildSqueezeFast(imageSize: number, seed = 1): tfl.LayersModel {
  // Stride 2 and three 2x2 pools: 16 px is the smallest image that keeps a 1x1 map.
  if (!Number.isSafeInteger(imageSize) || imageSize < 16) throw new Error(`squeeze-fast: image size ${imageSize} must be an integer >= 16`);
  let layer = 0;
  const conv = (filters: number, kernelSize: number, strides = 1): tfl.layers.Layer =>
    tfl.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 1000 + layer++ }),
    });
  const apply = (l: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor => l.apply(x) as tfl.SymbolicTensor;
  const pool = (x: tfl.SymbolicTensor): tfl.SymbolicTensor => apply(tfl.layers.maxPooling2d({ poolSize: 2 }), x);
  const fire = (x: tfl.SymbolicTensor, squeeze: number, expand: number): tfl.SymbolicTensor => {
    const y = apply(conv(squeeze, 1), x);
    return apply(tfl.layers.concatenate(), [apply(conv(expand / 2, 1), y), apply(conv(expand / 2, 3), y)]);
  };
  const x = tfl.input({ shape: [imageSize, imageSize, 3] });
  let y = apply(conv(42, 6, 2), x);
  y = pool(y);
  y = fire(y, 24, 60);
  y = pool(y);
  y = fire(y, 27, 90);
  y = pool(y);
  y = apply(conv(CLASSES, 1), y);
  y = apply(tfl.layers.globalAveragePooling2d({}), y);
  y = apply(tfl.layers.activation({ activation: 'softmax' }), y);
  const model = tfl.model({ inputs: x, outputs: y, name: 'squeeze_fast' });
  const params = model.countParams();
  if (params !== SQUEEZE_FAST_PARAMS) {
    model.dispose();
    throw new Error(`squeeze-fast: ${params} parameters, expected ${SQUEEZE_FAST_PARAMS}`);
  }
  return model;
}

// ---------------------------------------------------------------------------------------
// Data and training.

/** A seeded synthetic batch: xs [B, S, S, 3] in [0, 1), ys [B] class ids 0..4 (as floats). */
export function syntheticBatch(seed: number, batch: number, imageSize: number): { xs: Float32Array; ys: Float32Array } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const xs = new Float32Array(batch * imageSize * imageSize * 3);
  for (let i = 0; i < xs.length; i++) xs[i] = next();
  const ys = new Float32Array(batch);
  for (let i = 0; i < batch; i++) ys[i] = Math.floor(next() * CLASSES);
  return { xs, ys };
}

/** Keras's sparse categorical cross-entropy on probabilities, as tfjs-layers computes it. */
function sparseCategoricalCrossentropy(labels: tf.Tensor1D, probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const eps = 1e-7; // tfjs-layers' epsilon()
    const p = tf.clipByValue(tf.div(probs, tf.sum(probs, -1, true)), eps, 1 - eps);
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), CLASSES);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), -1))) as tf.Scalar;
  });
}

export interface TfjsTrainOptions {
  readonly backend: TfjsBackend;
  readonly imageSize: number;
  readonly batch: number;
  /** Timed steps, after `warmup` untimed ones. */
  readonly steps: number;
  /** Seeds the weights (buildSqueezeFast) and the batches (step i uses seed * 7919 + i). */
  readonly seed?: number;
  /** Untimed steps first (default 1: the first step allocates and creates XNNPACK operators). */
  readonly warmup?: number;
  /**
   * 'minimize' (default: a custom `optimizer.minimize` loop, the same math and losses as
   * trainOnBatch and ~5% faster) or 'trainOnBatch' (the compiled tfjs-layers model).
   */
  readonly loop?: TrainLoop;
  /** Initial weights in model.getWeights() order (e.g. tpusim's preset's), instead of the seeded init. */
  readonly initialWeights?: readonly Float32Array[];
}

export interface TfjsTrainResult {
  readonly backend: TfjsBackend;
  /** XNNPACK threads of the wasm backend (1); null on 'cpu'. */
  readonly threads: number | null;
  /** The wasm binary tfjs loaded (in Node: tfjs-backend-wasm-simd.wasm, never the threaded one); null on 'cpu'. */
  readonly wasmBinary: string | null;
  readonly loop: TrainLoop;
  readonly imageSize: number;
  readonly batch: number;
  /** batch / median step time. */
  readonly imagesPerSecond: number;
  /** Host time of each timed step (warm-up excluded). */
  readonly msPerStep: number[];
  /** Kernels this module registered for the backend (['Conv2DBackpropFilter'] on wasm). */
  readonly registered: string[];
  /** Loss of every step, warm-up steps first (each is the loss before that step's update). */
  readonly losses: number[];
  readonly loss: 'sparseCategoricalCrossentropy';
  readonly params: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Trains squeeze-fast with tfjs on `backend` (Adam 1e-3) and times the steps. */
export async function tfjsTrainPeer(options: TfjsTrainOptions): Promise<TfjsTrainResult> {
  const { backend, imageSize, batch, steps } = options;
  const seed = options.seed ?? 1;
  const warmup = options.warmup ?? 1;
  const loop = options.loop ?? 'minimize';
  for (const [name, v, min] of [['imageSize', imageSize, 16], ['batch', batch, 1], ['steps', steps, 0], ['warmup', warmup, 0]] as const) {
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`tfjsTrainPeer: ${name} must be an integer >= ${min}, got ${v}`);
  }
  const { registered, threads, wasmBinary } = await useBackend(backend);
  const model = buildSqueezeFast(imageSize, seed);
  const optimizer = tf.train.adam(1e-3);
  try {
    if (options.initialWeights !== undefined) {
      const shapes = model.getWeights().map((w) => w.shape);
      if (options.initialWeights.length !== shapes.length) throw new Error(`tfjsTrainPeer: ${options.initialWeights.length} initial weights, the model has ${shapes.length}`);
      const ws = options.initialWeights.map((w, i) => tf.tensor(w, shapes[i]!));
      model.setWeights(ws);
      tf.dispose(ws);
    }
    if (loop === 'trainOnBatch') model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
    const msPerStep: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      const b = syntheticBatch(seed * 7919 + i, batch, imageSize);
      const xs = tf.tensor4d(b.xs, [batch, imageSize, imageSize, 3]);
      const ys = tf.tensor1d(b.ys);
      const t0 = performance.now();
      let loss: number;
      if (loop === 'trainOnBatch') {
        loss = (await model.trainOnBatch(xs, ys)) as number;
      } else {
        const l = optimizer.minimize(() => sparseCategoricalCrossentropy(ys, model.apply(xs, { training: true }) as tf.Tensor), true);
        loss = (await l!.data())[0]!;
        l!.dispose();
      }
      const ms = performance.now() - t0;
      tf.dispose([xs, ys]);
      losses.push(loss);
      if (i >= warmup) msPerStep.push(ms);
    }
    const imagesPerSecond = msPerStep.length > 0 ? (batch * 1e3) / median(msPerStep) : Number.NaN;
    return { backend, threads, wasmBinary, loop, imageSize, batch, imagesPerSecond, msPerStep, registered, losses, loss: 'sparseCategoricalCrossentropy', params: model.countParams() };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// CLI.

function cliArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function cliInt(name: string, fallback: number): number {
  const raw = cliArg(name);
  const v = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`tfjs-train: --${name} must be a non-negative integer`);
  return v;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const backend = cliArg('backend') ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`tfjs-train: --backend must be wasm or cpu, got ${backend}`);
  const loop = cliArg('loop') ?? 'minimize';
  if (loop !== 'trainOnBatch' && loop !== 'minimize') throw new Error(`tfjs-train: --loop must be trainOnBatch or minimize, got ${loop}`);
  const r = await tfjsTrainPeer({
    backend,
    loop,
    imageSize: cliInt('image-size', 64),
    batch: cliInt('batch', 128),
    steps: cliInt('steps', 5),
    seed: cliInt('seed', 1),
    warmup: cliInt('warmup', 1),
  });
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(r));
  } else {
    const added = r.registered.length > 0 ? `, kernels added: ${r.registered.join(', ')}` : '';
    console.log(`tfjs ${r.backend}${r.threads === null ? '' : ` (${r.wasmBinary}, ${r.threads} thread${r.threads === 1 ? '' : 's'})`}, squeeze-fast ${r.imageSize}x${r.imageSize}, batch ${r.batch}, ${r.loop}${added}`);
    console.log(`  ms/step: ${r.msPerStep.map((m) => m.toFixed(1)).join(' ')}`);
    console.log(`  losses: ${r.losses.map((l) => l.toFixed(4)).join(' ')}`);
    console.log(`  ${r.imagesPerSecond.toFixed(1)} images/s (median of ${r.msPerStep.length} steps after ${r.losses.length - r.msPerStep.length} warm-up)`);
  }
}
