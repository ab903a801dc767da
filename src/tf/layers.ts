/**
 * @module tf/layers
 * `tf.layers.*`: the layer factories with TensorFlow.js's option names and defaults
 * (`dense({units, activation, inputShape})`, `conv2d({filters, kernelSize, strides, padding,
 * dataFormat})`, ...). Each returns a tpusim layer (../layers), so a layer made here works
 * with `layer.apply`, `tf.sequential` and `tf.model`.
 *
 * Every option is either passed on, translated (`batchInputShape` and `inputDim` become the
 * per-example `inputShape`), allowed only at the one value tpusim computes (`dataFormat:
 * 'channelsLast'`, `dilationRate: 1`, default initialisers, no regularisers or constraints),
 * or refused: a TfError names the call, the option and its value. Dense and conv2d take
 * `kernelInitializer` / `biasInitializer` by TF.js name (glorotUniform, heNormal,
 * varianceScaling, ...: ../layers/initializers.ts); every weight is drawn from the model's
 * seed.
 *
 * Imports ../layers (layer classes), ./errors.
 */
import {
  ACTIVATIONS,
  INITIALIZERS,
  ActivationLayer,
  AveragePooling2D,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  Layer,
  MaxPooling2D,
  type Initializer,
} from '../layers/index.ts';
import { TfError } from './errors.ts';

/** Options of every TF.js layer (tpusim reads name, trainable and the input shape). */
export interface TfLayerArgs {
  readonly name?: string;
  readonly trainable?: boolean;
  /** Per-example input shape of a model's first layer. */
  readonly inputShape?: readonly (number | null)[];
  /** The input shape with the batch first (its batch size is not kept). */
  readonly batchInputShape?: readonly (number | null)[];
  readonly batchSize?: number;
  readonly dtype?: 'float32';
  readonly inputDType?: 'float32';
}

type Check = readonly [allowed: (v: unknown) => boolean, what: string];
const is =
  (...values: unknown[]) =>
  (v: unknown): boolean =>
    values.some((x) => JSON.stringify(x) === JSON.stringify(v));
const nullish = (v: unknown): boolean => v === null;
const ones = (v: unknown): boolean => v === 1 || (Array.isArray(v) && v.every((d) => d === 1));

/** Options allowed at one value only, with what tpusim computes (for the error). */
const FIXED: Readonly<Record<string, Check>> = {
  dtype: [is('float32'), "'float32'"],
  inputDType: [is('float32'), "'float32'"],
  dataFormat: [is('channelsLast'), "'channelsLast'"],
  dilationRate: [ones, '1'],
  gammaInitializer: [is('ones'), "'ones'"],
  betaInitializer: [is('zeros'), "'zeros'"],
  movingMeanInitializer: [is('zeros'), "'zeros'"],
  movingVarianceInitializer: [is('ones'), "'ones'"],
  kernelRegularizer: [nullish, 'none'],
  biasRegularizer: [nullish, 'none'],
  activityRegularizer: [nullish, 'none'],
  betaRegularizer: [nullish, 'none'],
  gammaRegularizer: [nullish, 'none'],
  kernelConstraint: [nullish, 'none'],
  biasConstraint: [nullish, 'none'],
  betaConstraint: [nullish, 'none'],
  gammaConstraint: [nullish, 'none'],
  noiseShape: [nullish, 'none'],
  batchSize: [() => true, ''],
  seed: [() => true, ''], // dropout's seed: tpusim's masks come from the model's seed
};

/** Initialiser options dense and conv2d take by name. */
const INITIALIZER_KEYS: readonly string[] = ['kernelInitializer', 'biasInitializer'];

/** An initialiser by TF.js name (or a tpusim initialiser function), for option `key` of `call`. */
function initializer(call: string, key: string, v: unknown): Initializer {
  if (typeof v === 'string' && Object.hasOwn(INITIALIZERS, v)) return INITIALIZERS[v as keyof typeof INITIALIZERS];
  if (typeof v === 'function') return v as Initializer; // ../layers' form: (shape, random) => values
  const got = typeof v === 'string' ? `'${v}'` : 'an object (give initialisers by name)';
  throw new TfError(`${call}: ${key} ${got} is not supported (tpusim has ${Object.keys(INITIALIZERS).join(', ')})`);
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)));

/**
 * The options of TF.js factory `call` as tpusim's layer arguments: `pass` keys copied,
 * the input shape translated, FIXED keys checked, anything else refused.
 */
function convert(call: string, args: unknown, pass: readonly string[]): Record<string, unknown> {
  if (args === undefined) return {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new TfError(`${call}: args must be an object of options, got ${show(args)}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(args)) {
    if (v === undefined) continue;
    if (pass.includes(key) || key === 'name' || key === 'trainable' || key === 'inputShape') out[key] = v;
    else if (INITIALIZER_KEYS.includes(key) && pass.includes('useBias')) out[key] = initializer(call, key, v);
    else if (key === 'batchInputShape' || key === 'inputDim') {
      const shape = key === 'inputDim' ? [v] : Array.isArray(v) ? v.slice(1) : undefined;
      if (!shape) throw new TfError(`${call}: batchInputShape must be an array (batch first), got ${show(v)}`);
      out.inputShape = shape;
    } else if (Object.hasOwn(FIXED, key)) {
      const [ok, what] = FIXED[key]!;
      if (!ok(v)) throw new TfError(`${call}: ${key} ${show(v)} is not supported (tpusim computes ${what})`);
    } else throw new TfError(`${call}: unknown option '${key}'`);
  }
  if (out.inputShape !== undefined) out.inputShape = inputShape(call, out.inputShape);
  if (out.activation !== undefined && (typeof out.activation !== 'string' || !Object.hasOwn(ACTIVATIONS, out.activation))) {
    throw new TfError(`${call}: activation ${show(out.activation)} is not supported (tpusim has ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  if (out.padding !== undefined && out.padding !== 'same' && out.padding !== 'valid') {
    throw new TfError(`${call}: padding ${show(out.padding)} is not supported (tpusim has 'same' and 'valid')`);
  }
  return out;
}

/** A per-example shape: every dimension a known positive integer. */
function inputShape(call: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TfError(`${call}: inputShape must be an array, got ${show(shape)}`);
  shape.forEach((d, i) => {
    if (!(Number.isSafeInteger(d) && d > 0)) {
      throw new TfError(`${call}: inputShape[${i}] must be a positive integer, got ${show(d)} (tpusim needs every dimension but the batch)`);
    }
  });
  return shape as number[];
}

/** Constructs a layer, prefixing its own argument errors with the call. */
function build<T extends Layer>(call: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof Error && (err as { userFacing?: unknown }).userFacing === true && !(err instanceof TfError)) {
      throw new TfError(`${call}: ${err.message}`);
    }
    throw err;
  }
}

type Activation = keyof typeof ACTIVATIONS | (string & {});
type Pair = number | readonly [number, number];

/** Options of `dense`. */
export interface DenseLayerArgs extends TfLayerArgs {
  readonly units: number;
  readonly activation?: Activation;
  readonly useBias?: boolean;
  readonly inputDim?: number;
  /** A TF.js name ('heNormal', ...) or a tpusim initialiser function. */
  readonly kernelInitializer?: string | Initializer;
  readonly biasInitializer?: string | Initializer;
}
/** Options of `conv2d`. */
export interface ConvLayerArgs extends TfLayerArgs {
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides?: Pair;
  readonly padding?: 'valid' | 'same';
  readonly dataFormat?: 'channelsLast';
  readonly dilationRate?: Pair;
  readonly activation?: Activation;
  readonly useBias?: boolean;
  readonly kernelInitializer?: string | Initializer;
  readonly biasInitializer?: string | Initializer;
}
/** Options of the pooling layers. */
export interface PoolingLayerArgs extends TfLayerArgs {
  readonly poolSize?: Pair;
  readonly strides?: Pair;
  readonly padding?: 'valid' | 'same';
  readonly dataFormat?: 'channelsLast';
}
/** Options of `batchNormalization`. */
export interface BatchNormalizationLayerArgs extends TfLayerArgs {
  /** Only the last axis (-1) is normalised. */
  readonly axis?: number;
  readonly momentum?: number;
  readonly epsilon?: number;
  readonly center?: boolean;
  readonly scale?: boolean;
}

const axisLast = (call: string, axis: unknown): void => {
  if (axis !== undefined && axis !== -1) throw new TfError(`${call}: axis ${show(axis)} is not supported (tpusim normalises the last axis, -1)`);
};

/** A dense layer. @example tf.layers.dense({ units: 10, activation: 'softmax', inputShape: [784] }) */
export function dense(args: DenseLayerArgs): Dense {
  const o = convert('tf.layers.dense', args, ['units', 'activation', 'useBias']);
  return build('tf.layers.dense', () => new Dense(o as never));
}
/** A 2-D convolution, NHWC. @example tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }) */
export function conv2d(args: ConvLayerArgs): Conv2D {
  const o = convert('tf.layers.conv2d', args, ['filters', 'kernelSize', 'strides', 'padding', 'activation', 'useBias']);
  return build('tf.layers.conv2d', () => new Conv2D(o as never));
}
/** Max pooling (default 2x2, strides = poolSize). */
export function maxPooling2d(args: PoolingLayerArgs = {}): MaxPooling2D {
  const o = convert('tf.layers.maxPooling2d', args, ['poolSize', 'strides', 'padding']);
  return build('tf.layers.maxPooling2d', () => new MaxPooling2D(o));
}
/** Average pooling (default 2x2, strides = poolSize). */
export function averagePooling2d(args: PoolingLayerArgs = {}): AveragePooling2D {
  const o = convert('tf.layers.averagePooling2d', args, ['poolSize', 'strides', 'padding']);
  return build('tf.layers.averagePooling2d', () => new AveragePooling2D(o));
}
/** Mean over height and width: [B, H, W, C] -> [B, C]. */
export function globalAveragePooling2d(args: TfLayerArgs & { readonly dataFormat?: 'channelsLast' } = {}): GlobalAveragePooling2D {
  const o = convert('tf.layers.globalAveragePooling2d', args, []);
  return build('tf.layers.globalAveragePooling2d', () => new GlobalAveragePooling2D(o));
}
/** Flattens all but the batch dimension. */
export function flatten(args: TfLayerArgs & { readonly dataFormat?: 'channelsLast' } = {}): Flatten {
  const o = convert('tf.layers.flatten', args, []);
  return build('tf.layers.flatten', () => new Flatten(o));
}
/** Batch normalisation of the last axis. */
export function batchNormalization(args: BatchNormalizationLayerArgs = {}): BatchNormalization {
  axisLast('tf.layers.batchNormalization', args.axis);
  const { axis: _axis, ...rest } = args;
  const o = convert('tf.layers.batchNormalization', rest, ['momentum', 'epsilon', 'center', 'scale']);
  return build('tf.layers.batchNormalization', () => new BatchNormalization(o));
}
/** Joins its inputs along `axis` (default -1). @example tf.layers.concatenate().apply([a, b]) */
export function concatenate(args: TfLayerArgs & { readonly axis?: number } = {}): Concatenate {
  const o = convert('tf.layers.concatenate', args, ['axis']);
  return build('tf.layers.concatenate', () => new Concatenate(o));
}
/** An activation layer. @example tf.layers.activation({ activation: 'relu' }) */
export function activation(args: TfLayerArgs & { readonly activation: Activation }): ActivationLayer {
  const o = convert('tf.layers.activation', args, ['activation']);
  if (o.activation === undefined) throw new TfError("tf.layers.activation: activation is required, e.g. {activation: 'relu'}");
  return build('tf.layers.activation', () => new ActivationLayer(o as never));
}
/** Dropout in training. @example tf.layers.dropout({ rate: 0.25 }) */
export function dropout(args: TfLayerArgs & { readonly rate: number; readonly noiseShape?: null; readonly seed?: number }): Dropout {
  const o = convert('tf.layers.dropout', args, ['rate']);
  return build('tf.layers.dropout', () => new Dropout(o as never));
}
