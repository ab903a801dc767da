/**
 * @module xla/examples
 * Built-in example graphs for the `tpusim compile` command and the tests, until layers/
 * presets exist: a small conv net (conv -> relu -> maxpool -> conv -> relu -> global
 * average pool -> dense -> softmax cross-entropy) as a forward loss, and its SGD training
 * step (forward, autodiff, all-reduce of the gradients, update).
 *
 * Imports ./builder, ./autodiff, ./hlo.
 */
import { gradients } from './autodiff.ts';
import { XlaBuilder, f32, type Op } from './builder.ts';
import type { HloModule } from './hlo.ts';

/** Sizes of the example conv net. */
export interface ConvNetOptions {
  /** Images per step (per core). Default 8. */
  readonly batch?: number;
  /** Height = width of the input (pixels). Default 32. */
  readonly imageSize?: number;
  /** Input channels. Default 3. */
  readonly channels?: number;
  /** Filters of the two conv layers. Default [16, 32]. */
  readonly filters?: readonly [number, number];
  /** Classes. Default 5 (the flowers). */
  readonly classes?: number;
  /** Cores the gradients are summed over (all-reduce). Default 1: none. */
  readonly replicas?: number;
  /** SGD learning rate. Default 0.01. */
  readonly learningRate?: number;
}

/** The parameters of the net, in parameter order after images and labels. */
function weights(b: XlaBuilder, c: number, f: readonly [number, number], classes: number): Op[] {
  return [
    b.parameter(2, f32([3, 3, c, f[0]]), 'conv_1.kernel'),
    b.parameter(3, f32([f[0]]), 'conv_1.bias'),
    b.parameter(4, f32([3, 3, f[0], f[1]]), 'conv_2.kernel'),
    b.parameter(5, f32([f[1]]), 'conv_2.bias'),
    b.parameter(6, f32([f[1], classes]), 'dense_1.kernel'),
    b.parameter(7, f32([classes]), 'dense_1.bias'),
  ];
}

/** Emits the forward loss; returns it and the weight parameters. */
function forward(b: XlaBuilder, o: ConvNetOptions): { loss: Op; params: Op[] } {
  const [n, s, c, classes] = [o.batch ?? 8, o.imageSize ?? 32, o.channels ?? 3, o.classes ?? 5];
  const f = o.filters ?? [16, 32];
  const images = b.parameter(0, f32([n, s, s, c]), 'images'); // [B, H, W, C]
  const labels = b.parameter(1, f32([n, classes]), 'labels'); // [B, N] one-hot
  const params = weights(b, c, f, classes);
  const [k1, b1, k2, b2, wd, bd] = params as [Op, Op, Op, Op, Op, Op];
  const h1 = b.withSource('conv_1', () => b.relu(b.conv2d(images, k1, b1, { padding: 'same' }))); // [B, S, S, F0]
  const p1 = b.withSource('pool_1', () => b.maxPool(h1, { size: [2, 2] })); // [B, S/2, S/2, F0]
  const h2 = b.withSource('conv_2', () => b.relu(b.conv2d(p1, k2, b2, { padding: 'same', strides: [2, 2] }))); // [B, S/4, S/4, F1]
  const g = b.withSource('gap', () => b.globalAvgPool(h2)); // [B, F1]
  const logits = b.withSource('dense_1', () => b.dense(g, wd, bd)); // [B, N]
  const loss = b.withSource('loss', () => b.softmaxCrossEntropy(logits, labels));
  return { loss, params };
}

/** The forward loss of the example conv net (parameters: images, labels, 6 weights). */
export function convNetLoss(o: ConvNetOptions = {}): HloModule {
  const b = new XlaBuilder('convnet');
  return b.build(forward(b, o).loss);
}

/**
 * One SGD training step of the example conv net: outputs [loss, new weights...].
 * Gradients are all-reduced over `replicas` cores (and divided by them) when > 1.
 */
export function convNetTrainStep(o: ConvNetOptions = {}): HloModule {
  const b = new XlaBuilder('convnet_train_step');
  const { loss, params } = forward(b, o);
  const grads = gradients(b, loss, params);
  const replicas = o.replicas ?? 1;
  const lr = o.learningRate ?? 0.01;
  const updated = b.withSource('sgd', () =>
    params.map((p, i) => {
      const g = replicas > 1 ? b.multiply(b.allReduce(grads[i]!, replicas), 1 / replicas) : grads[i]!;
      return b.subtract(p, b.multiply(g, lr));
    }),
  );
  return b.build([loss, ...updated]);
}

/** The names of the built-in examples, for the CLI. */
export const EXAMPLES = {
  'example-convnet': convNetTrainStep,
  'example-convnet-forward': convNetLoss,
} as const satisfies Record<string, (o: ConvNetOptions) => HloModule>;
