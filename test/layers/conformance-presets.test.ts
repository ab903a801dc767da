/**
 * Conformance with TensorFlow.js beyond one fold of the array, through the lowered program:
 * every codelab preset (and a dense/conv stack with K and N past 128) is exported with its
 * weights (toTfjs), loaded into tfjs-layers, and compared on VALUES: the forward outputs, the
 * loss and every weight gradient (tf.variableGrads on the loaded model, training mode, so
 * squeeze-90's batch norms use the batch's moments on both sides). Our side runs on the
 * simulated TensorCore (tpuEngine: the compiled, lowered step), precision 'highest'.
 *
 * Bounds: 'highest' keeps about 24 bits of every product, so our values are f32-accurate,
 * like tfjs's; the two sum in different orders. Outputs and loss: 1e-5 relative (+1e-6).
 * Gradients: 1e-5 relative plus 1e-5 of the tensor's largest magnitude (a gradient element
 * that is a sum cancelling to near zero keeps only the absolute part of the error); see the
 * note on squeeze-90 below.
 */
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, categoricalCrossentropy, conv2d, dense, flatten, input, model, preset, toTfjs, tpuEngine, variableName, type Model } from '../../src/layers/index.ts';
import { SeededRandom } from '../../src/layers/random.ts';
import { compileGradStep } from '../../src/layers/step.ts';
import { tfjs } from './tfjs.ts';

const SIZE = 16;
const BATCH = 2;

/** K = 3*3*16 = 144 and 136 filters, then flatten (4*4*136 = 2176) into 130 units: K and N past 128. */
function wideNet(): Model {
  const x = input({ shape: [6, 6, 16] });
  const h = conv2d({ filters: 136, kernelSize: 3, padding: 'valid', activation: 'relu' }).apply(x);
  const d = dense({ units: 130, activation: 'tanh' }).apply(flatten().apply(h));
  return model({ inputs: x, outputs: dense({ units: 5, activation: 'softmax' }).apply(d), name: 'wide', seed: 3 });
}

/**
 * NOTE: squeeze-90 at 16 px reaches its last stage at 1 x 1, where a training-mode batch norm
 * of a batch of 2 normalises 2 values per channel: so ill-conditioned that the f32 rounding
 * of either side moves the loss by 1e-4 relative (a float64 evaluation of our graph sits
 * between ours and tfjs's). At 32 px and a batch of 4 it normalises 16 values; its 13
 * training-mode batch norms still amplify rounding: measured against a float64 evaluation
 * of our graph (test/xla/eval64.ts), ours and tfjs's gradients are both off by up to
 * 1.7e-5 of the tensor's largest magnitude, so its gradients get 1e-4 of that, not 1e-5.
 */
const CASES: { name: string; make: () => Model; inputShape: number[]; batch: number; gradAbsolute: number }[] = [
  ...PRESET_NAMES.map((name) => {
    const bn = name === 'squeeze-90';
    const size = bn ? 32 : SIZE;
    return { name, make: () => preset(name, { imageSize: size, seed: 4 }), inputShape: [size, size, 3], batch: bn ? 4 : BATCH, gradAbsolute: bn ? 1e-4 : 1e-5 };
  }),
  { name: 'conv 144 -> 136, dense 2176 -> 130 (past the 128 fold)', make: wideNet, inputShape: [6, 6, 16], batch: BATCH, gradAbsolute: 1e-5 },
];

/** Weights away from their initial values (biases and batch-norm parameters too), seeded. */
function perturb(m: Model, seed: number): void {
  const r = new SeededRandom(seed);
  for (const w of m.weights) {
    const v = w.value!;
    if (w.name === 'moving_variance') w.value = v.map(() => 0.5 + r.next());
    else if (w.name === 'gamma') w.value = v.map(() => 0.5 + r.next());
    else w.value = v.map((u) => u + 0.05 * (2 * r.next() - 1));
  }
}

const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, absolute = 0): void => {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const bound = 1e-5 * Math.abs(want[i]!) + absolute * scale + 1e-6;
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) expect.fail(`${what}[${i}]: ours ${got[i]}, tfjs ${want[i]} (bound ${bound})`);
  }
};

describe('tfjs conformance on values: every preset and a past-the-fold stack, through the lowered program', () => {
  for (const c of CASES) {
    it(`${c.name}: forward outputs, loss and every gradient ('highest')`, async () => {
      const { tf, tfl } = await tfjs();
      const ours = c.make();
      perturb(ours, 7);
      const { json, weights } = toTfjs(ours);
      const theirs = await tfl.loadLayersModel(
        tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer }),
      );
      const BATCH = c.batch;
      const per = c.inputShape.reduce((a, d) => a * d, 1);
      const r = new SeededRandom(11);
      const x = Float32Array.from({ length: BATCH * per }, () => r.next());
      const classes = ours.outputShape[ours.outputShape.length - 1] as number;
      const labels = new Float32Array(BATCH * classes);
      for (let i = 0; i < BATCH; i++) labels[i * classes + ((i * 3 + 1) % classes)] = 1;
      const tx = tf.tensor(x, [BATCH, ...c.inputShape]);

      // forward (inference mode): ours through predict on the default engine, the simulated TensorCore
      const want = (theirs.predict(tx) as ReturnType<typeof tf.tensor>).dataSync();
      close(await ours.predict(x, { precision: 'highest' }), want, 'output');

      // loss and gradients (training mode): our compiled gradient step, lowered and simulated
      const step = compileGradStep({ model: ours, loss: categoricalCrossentropy(), precision: 'highest', batch: BATCH });
      const device = tpuEngine().device({ replicas: 1, threads: 1 });
      for (const w of ours.weights) device.setVariable(variableName(w), w.value!);
      const run = await device.run(step, [new Map([[0, x], [1, labels], [2, Float32Array.of(0)]])]);
      await device.close();
      const out = run.outputs[0]!;
      const vars = theirs.trainableWeights.map((w) => w.read() as ReturnType<typeof tf.variable>);
      const { value, grads } = tf.variableGrads(() => {
        const p = theirs.apply(tx, { training: true }) as ReturnType<typeof tf.tensor>;
        const clipped = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), 1e-7, 1 - 1e-7);
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.tensor(labels, [BATCH, classes]), tf.log(clipped)), -1))) as ReturnType<typeof tf.scalar>;
      }, vars);
      close(out.get(0)!, value.dataSync(), 'loss');
      expect(step.trainable.length).toBe(vars.length);
      step.trainable.forEach((w, i) => {
        const j = theirs.trainableWeights.findIndex((t) => t.originalName === w.fullName);
        expect(j, `tfjs has ${w.fullName}`).toBeGreaterThanOrEqual(0);
        close(out.get(2 + i)!, grads[vars[j]!.name]!.dataSync(), `gradient of ${w.fullName}`, c.gradAbsolute);
      });
      tf.dispose([tx, value, ...Object.values(grads)]);
      theirs.dispose();
    }, 60_000);
  }
});
