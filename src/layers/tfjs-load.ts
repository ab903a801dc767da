/**
 * @module layers/tfjs-load
 * Builds a tpusim model from a Keras topology, as TensorFlow.js's `model.json` holds it
 * (`modelTopology`): the inverse of ./tfjs-format.ts `topology`, and the reader of files that
 * tfjs-layers, the tfjs converter (Keras 2's `model_config` wrapper) and tf.keras write.
 * Sequential (`config.layers`, or the old bare list) and functional models (`Model` or
 * `Functional`: `inbound_nodes` in Keras 2's list form or Keras 3's `args` form,
 * `input_layers`, `output_layers`). Layers keep their Keras names. Weights are not read here
 * (./io.ts `loadModel` reads them): each new weight holds its seeded initial value.
 *
 * Every option of a layer's config is either read into the tpusim layer, or known to be
 * irrelevant to its computation (initialisers, since the weights come from the file), or must
 * have the one value tpusim implements (regularisers and constraints null, channels_last,
 * dilation 1, float32); anything else, and any unknown class_name, is a LayerConfigError
 * naming the layer and the option.
 *
 * Imports ./core, ./conv, ./conv-depthwise, ./pooling, ./merge, ./merge-elementwise,
 * ./reshape, ./rescaling, ./normalization, ./activations, ./layer, ./model, ./errors.
 */
import { ACTIVATIONS, type ActivationName } from './activations.ts';
import { ActivationLayer, Dense, Dropout, Flatten, input } from './core.ts';
import { Conv2D } from './conv.ts';
import { DepthwiseConv2D } from './conv-depthwise.ts';
import { LayerConfigError } from './errors.ts';
import type { Layer, LayerArgs, SymbolicTensor } from './layer.ts';
import { Concatenate } from './merge.ts';
import { Add, Multiply } from './merge-elementwise.ts';
import { Model } from './model.ts';
import { BatchNormalization } from './normalization.ts';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D } from './pooling.ts';
import { Reshape } from './reshape.ts';
import { Rescaling } from './rescaling.ts';

type Json = Record<string, unknown>;

/** One entry of `config.layers`. */
interface LayerEntry {
  readonly class_name: string;
  readonly name?: string;
  readonly config: Json;
  readonly inbound_nodes?: readonly unknown[];
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
/** dtype 'float32', or Keras 3's float32 DTypePolicy. */
const isFloat32 = (v: unknown): boolean =>
  v === undefined || v === null || v === 'float32' || (isObject(v) && isObject(v.config) && v.config.name === 'float32');

/**
 * Options that do not change what a tpusim layer computes, with the values allowed. The
 * input shape keys are read where they matter (the model's input).
 */
const IGNORED: Readonly<Record<string, (v: unknown) => boolean>> = {
  name: () => true,
  trainable: () => true,
  dtype: isFloat32,
  batch_input_shape: () => true,
  batch_shape: () => true,
  input_shape: () => true,
  data_format: (v) => v === undefined || v === null || v === 'channels_last',
  dilation_rate: (v) => v === 1 || (Array.isArray(v) && v.every((d) => d === 1)),
  groups: (v) => v === 1,
  noise_shape: (v) => v === null,
  seed: () => true, // dropout's seed: training only
  sparse: (v) => v === false,
  ragged: (v) => v === false,
  optional: (v) => v === false,
  keepdims: (v) => v === false,
  lora_rank: (v) => v === null,
  synchronized: (v) => v === false,
  renorm: (v) => v === false,
  virtual_batch_size: (v) => v === null,
  adjustment: (v) => v === null,
  fused: () => true, // an implementation choice of TensorFlow's
};

/** The allowed values of an ignored option, for an error message. */
function ignoredFor(key: string): ((v: unknown) => boolean) | undefined {
  if (key.endsWith('_initializer')) return () => true; // weights come from the file
  if (key.endsWith('_regularizer') || key.endsWith('_constraint')) return (v) => v === null;
  return Object.hasOwn(IGNORED, key) ? IGNORED[key] : undefined;
}

/** Reads one layer's Keras config, remembering what it read, so `done` can reject the rest. */
class Options {
  private readonly read = new Set<string>();
  constructor(
    readonly name: string,
    readonly className: string,
    private readonly config: Json,
  ) {}

  /** A LayerConfigError naming the layer and the option. */
  fail(key: string, why: string): never {
    const value = this.config[key] === undefined ? '' : ` = ${show(this.config[key])}`;
    throw new LayerConfigError(`layer '${this.name}' (${this.className}): option ${key}${value} ${why}`);
  }
  get(key: string): unknown {
    this.read.add(key);
    return this.config[key];
  }
  int(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) this.fail(key, 'must be a positive integer');
    return v;
  }
  /** A number; required when there is no fallback. */
  num(key: string, fallback?: number): number {
    const v = this.get(key) ?? fallback;
    if (typeof v !== 'number') this.fail(key, v === undefined ? 'is required' : 'must be a number');
    return v;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key) ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }
  /** A Keras int-or-pair (kernel_size, strides, pool_size); undefined when absent or null. */
  pair(key: string): [number, number] | undefined {
    const v = this.get(key);
    if (v === undefined || v === null) return undefined;
    const p = typeof v === 'number' ? [v, v] : v;
    const ok = Array.isArray(p) && p.length === 2 && p.every((d) => Number.isSafeInteger(d) && d > 0);
    if (!ok) this.fail(key, 'must be a positive integer or a pair of them');
    return [p[0] as number, p[1] as number];
  }
  padding(): 'same' | 'valid' {
    const v = this.get('padding') ?? 'valid';
    if (v !== 'same' && v !== 'valid') this.fail('padding', "is not supported (tpusim has 'same' and 'valid')");
    return v;
  }
  activation(): ActivationName {
    const v = this.get('activation') ?? 'linear';
    if (typeof v !== 'string' || !Object.hasOwn(ACTIVATIONS, v)) {
      this.fail('activation', `is not supported (tpusim has ${Object.keys(ACTIVATIONS).join(', ')})`);
    }
    return v as ActivationName;
  }
  /** Name and trainable flag, which every layer takes. */
  common(): LayerArgs {
    return { name: this.name, trainable: this.bool('trainable', true) };
  }
  /** Rejects every option not read and not known to be irrelevant (or at its one allowed value). */
  done(): void {
    for (const key of Object.keys(this.config)) {
      if (this.read.has(key)) continue;
      const ok = ignoredFor(key);
      if (!ok) this.fail(key, 'is not supported');
      if (!ok(this.config[key])) this.fail(key, 'is not supported (tpusim computes only the default)');
    }
  }
}

/** Batch norm normalises the last axis only: Keras writes it as -1, rank - 1, or [rank - 1]. */
function checkNormAxis(o: Options, rank: number): void {
  const v = o.get('axis') ?? -1;
  const axis = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (axis !== -1 && axis !== rank - 1) o.fail('axis', `is not supported (tpusim normalises the last axis, ${rank - 1} of this input)`);
}

/** Every tpusim layer class by its Keras class_name, built from its options. */
const LAYERS: Readonly<Record<string, (o: Options) => Layer>> = {
  Dense: (o) => new Dense({ ...o.common(), units: o.int('units'), activation: o.activation(), useBias: o.bool('use_bias', true) }),
  Conv2D: (o) =>
    new Conv2D({
      ...o.common(),
      filters: o.int('filters'),
      kernelSize: o.pair('kernel_size') ?? o.fail('kernel_size', 'is required'),
      strides: o.pair('strides') ?? 1,
      padding: o.padding(),
      activation: o.activation(),
      useBias: o.bool('use_bias', true),
    }),
  DepthwiseConv2D: (o) =>
    new DepthwiseConv2D({
      ...o.common(),
      kernelSize: o.pair('kernel_size') ?? o.fail('kernel_size', 'is required'),
      depthMultiplier: o.num('depth_multiplier', 1),
      strides: o.pair('strides') ?? 1,
      padding: o.padding(),
      dilationRate: o.pair('dilation_rate') ?? 1,
      activation: o.activation(),
      useBias: o.bool('use_bias', true),
    }),
  Reshape: (o) => {
    const t = o.get('target_shape');
    if (!Array.isArray(t) || !t.every((d) => typeof d === 'number')) o.fail('target_shape', 'must be a list of dimensions');
    return new Reshape({ ...o.common(), targetShape: t as number[] });
  },
  Rescaling: (o) => new Rescaling({ ...o.common(), scale: o.num('scale'), offset: o.num('offset', 0) }),
  Add: (o) => new Add(o.common()),
  Multiply: (o) => new Multiply(o.common()),
  MaxPooling2D: (o) => new MaxPooling2D({ ...o.common(), ...pooling(o) }),
  AveragePooling2D: (o) => new AveragePooling2D({ ...o.common(), ...pooling(o) }),
  GlobalAveragePooling2D: (o) => new GlobalAveragePooling2D(o.common()),
  Flatten: (o) => new Flatten(o.common()),
  Dropout: (o) => new Dropout({ ...o.common(), rate: o.num('rate') }),
  Activation: (o) => new ActivationLayer({ ...o.common(), activation: o.activation() }),
  Concatenate: (o) => new Concatenate({ ...o.common(), axis: o.num('axis', -1) }),
  BatchNormalization: (o) => {
    o.get('axis'); // checked against the input's rank when the layer is applied
    return new BatchNormalization({
      ...o.common(),
      momentum: o.num('momentum', 0.99),
      epsilon: o.num('epsilon', 1e-3),
      center: o.bool('center', true),
      scale: o.bool('scale', true),
    });
  },
};

function pooling(o: Options): { poolSize?: [number, number]; strides?: [number, number]; padding: 'same' | 'valid' } {
  const poolSize = o.pair('pool_size');
  const strides = o.pair('strides');
  return { ...(poolSize ? { poolSize } : {}), ...(strides ? { strides } : {}), padding: o.padding() };
}

/** A layer entry's name (Keras writes it in the entry and in its config). */
function entryName(e: LayerEntry, i: number): string {
  if (!isObject(e) || typeof e.class_name !== 'string' || !isObject(e.config)) throw new LayerConfigError(`layer ${i} is not a {class_name, config} entry: ${show(e)}`);
  const n = e.name ?? e.config.name;
  if (typeof n !== 'string' || n === '') throw new LayerConfigError(`layer ${i} (${e.class_name}) has no name`);
  return n;
}

/** Builds one (non-input) layer from its entry; the layer's options are all checked. */
function buildLayer(e: LayerEntry, name: string): { layer: Layer; options: Options } {
  const make = Object.hasOwn(LAYERS, e.class_name) ? LAYERS[e.class_name] : undefined;
  if (!make) {
    const known = ['InputLayer', ...Object.keys(LAYERS)].join(', ');
    throw new LayerConfigError(`layer '${name}' has class_name '${e.class_name}', which tpusim cannot build (it has ${known})`);
  }
  const options = new Options(name, e.class_name, e.config);
  const layer = make(options);
  options.done();
  return { layer, options };
}

/** Applies a layer, checking the options that depend on its input (batch norm's axis). */
function applyLayer(layer: Layer, options: Options, inputs: readonly SymbolicTensor[]): SymbolicTensor {
  if (layer instanceof BatchNormalization) checkNormAxis(options, inputs[0]!.shape.length);
  return layer.apply(inputs.length === 1 ? inputs[0]! : inputs);
}

/** The per-example input shape from a config's batch_input_shape (Keras 2, tfjs) or batch_shape (Keras 3). */
function inputShapeOf(o: Options): number[] {
  const key = o.get('batch_input_shape') !== undefined ? 'batch_input_shape' : 'batch_shape';
  const s = o.get(key);
  if (s === undefined) throw new LayerConfigError(`layer '${o.name}' (${o.className}) has no batch_input_shape: the model's input shape is unknown`);
  if (!Array.isArray(s) || s.length < 2) o.fail(key, 'must be the input shape, batch first');
  const dims = s.slice(1);
  if (!dims.every((d) => Number.isSafeInteger(d) && d > 0)) o.fail(key, 'is not supported (tpusim needs every dimension but the batch)');
  return dims as number[];
}

/** A Keras InputLayer entry -> a symbolic input named as in the file. */
function inputFrom(e: LayerEntry, name: string): SymbolicTensor {
  const o = new Options(name, 'InputLayer', e.config);
  const t = input({ shape: inputShapeOf(o), name });
  o.done();
  return t;
}

/** `class_name: 'Sequential'`: a stack, its input given by an InputLayer entry or the first layer's shape. */
function sequentialFrom(config: unknown): Model {
  const entries = (Array.isArray(config) ? config : isObject(config) ? config.layers : undefined) as LayerEntry[] | undefined;
  if (!Array.isArray(entries) || entries.length === 0) throw new LayerConfigError('the Sequential topology has no layers');
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  const first = entries[0]!;
  const firstName = entryName(first, 0);
  let x: SymbolicTensor;
  let rest = entries;
  if (first.class_name === 'InputLayer') {
    x = inputFrom(first, firstName);
    rest = entries.slice(1);
  } else {
    x = input({ shape: inputShapeOf(new Options(firstName, first.class_name, first.config)), name: `${firstName}_input` });
  }
  let y = x;
  rest.forEach((e, i) => {
    const { layer, options } = buildLayer(e, entryName(e, i + entries.length - rest.length));
    y = applyLayer(layer, options, [y]);
  });
  return new Model({ inputs: x, outputs: y, name }, 'sequential');
}

/** A tensor reference [layer, node, tensor] as a map key. */
type Ref = readonly [string, number, number];
const key = (r: Ref): string => `${r[0]}#${r[1]}#${r[2]}`;

function asRef(v: unknown, where: string): Ref {
  const tensor: unknown = Array.isArray(v) ? (v[2] ?? 0) : undefined;
  if (Array.isArray(v) && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(tensor)) return [v[0], v[1] as number, tensor as number];
  throw new LayerConfigError(`${where}: ${show(v)} is not a [layer, node, tensor] reference`);
}

/** The input references of one inbound node: Keras 2's [[name, node, tensor, kwargs], ...] or Keras 3's {args: [keras tensors]}. */
function nodeRefs(node: unknown, where: string): Ref[] {
  if (Array.isArray(node)) return node.map((r) => asRef(r, where));
  const refs: Ref[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v) && isObject(v.config) && Array.isArray(v.config.keras_history)) refs.push(asRef(v.config.keras_history, where));
  };
  if (isObject(node)) walk(node.args);
  if (refs.length === 0) throw new LayerConfigError(`${where}: inbound node ${show(node)} names no input`);
  return refs;
}

/** `input_layers` / `output_layers`: a list of references, or Keras 3's single one. */
function endRefs(v: unknown, what: string): Ref[] {
  if (!Array.isArray(v) || v.length === 0) throw new LayerConfigError(`the topology's ${what} is missing`);
  return typeof v[0] === 'string' ? [asRef(v, what)] : v.map((r) => asRef(r, what));
}

/** `class_name: 'Model' | 'Functional'`: layers wired by their inbound nodes, in any order. */
function functionalFrom(config: Json): Model {
  const entries = config.layers as LayerEntry[] | undefined;
  if (!Array.isArray(entries) || entries.length === 0) throw new LayerConfigError('the functional topology has no layers');
  const tensors = new Map<string, SymbolicTensor>();
  const pending: { layer: Layer; options: Options; node: number; refs: Ref[] }[] = [];
  entries.forEach((e, i) => {
    const name = entryName(e, i);
    if (e.class_name === 'InputLayer') return void tensors.set(key([name, 0, 0]), inputFrom(e, name));
    const { layer, options } = buildLayer(e, name);
    (e.inbound_nodes ?? []).forEach((n, node) => pending.push({ layer, options, node, refs: nodeRefs(n, `layer '${name}'`) }));
  });
  // Keras lists layers in a topological order, but does not promise it: apply until stuck.
  while (pending.length > 0) {
    const ready = pending.findIndex((p) => p.refs.every((r) => tensors.has(key(r))));
    if (ready < 0) {
      const p = pending[0]!;
      const missing = p.refs.find((r) => !tensors.has(key(r)))!;
      throw new LayerConfigError(`layer '${p.layer.name}' takes output ${missing[2]} of node ${missing[1]} of '${missing[0]}', which no layer makes`);
    }
    const [p] = pending.splice(ready, 1);
    tensors.set(key([p!.layer.name, p!.node, 0]), applyLayer(p!.layer, p!.options, p!.refs.map((r) => tensors.get(key(r))!)));
  }
  const ends = (what: string) =>
    endRefs(config[what], what).map((r) => {
      const t = tensors.get(key(r));
      if (!t) throw new LayerConfigError(`the topology's ${what} names '${r[0]}' (node ${r[1]}, tensor ${r[2]}), which no layer makes`);
      return t;
    });
  const name = typeof config.name === 'string' ? config.name : 'model';
  return new Model({ inputs: ends('input_layers'), outputs: ends('output_layers'), name }, 'functional');
}

/**
 * A tpusim model from a Keras topology: the whole model.json object, its `modelTopology`,
 * or the converter's `{ model_config }`. Weights get their seeded initial values; load the
 * file's with ./io.ts (`loadModel` does both).
 * @throws LayerConfigError naming the layer and the option that tpusim cannot build
 * @example const m = modelFromTopology(JSON.parse(readFileSync('out/model.json', 'utf8')));
 */
export function modelFromTopology(modelJson: unknown): Model {
  let t = isObject(modelJson) && modelJson.modelTopology !== undefined ? modelJson.modelTopology : modelJson;
  if (isObject(t) && t.model_config !== undefined) t = t.model_config;
  if (!isObject(t) || typeof t.class_name !== 'string') throw new LayerConfigError('no Keras model topology (an object with class_name and config) found');
  if (t.class_name === 'Sequential') return sequentialFrom(t.config);
  if (t.class_name === 'Model' || t.class_name === 'Functional') {
    if (!isObject(t.config)) throw new LayerConfigError(`the ${t.class_name} topology has no config`);
    return functionalFrom(t.config);
  }
  throw new LayerConfigError(`model class_name '${t.class_name}' is not supported (tpusim reads Sequential, Model and Functional)`);
}
