/**
 * @module layers/tfjs-format
 * TensorFlow.js's "layers-model" format, written and read: `model.json` (the Keras topology
 * in snake_case plus a weights manifest) and `weights.bin` (every weight as little-endian
 * float32, in manifest order). A model exported here loads with tf.loadLayersModel and
 * predicts the same; weights from a converted tfjs/Keras model load into a tpusim model by
 * weight name ('conv2d/kernel'), each shape checked.
 *
 * Imports ./model, ./layer, ./core, ./conv, ./conv-depthwise, ./pooling, ./merge,
 * ./merge-elementwise, ./reshape, ./rescaling, ./normalization, ./errors.
 */
import { ActivationLayer, Dense, Dropout, Flatten, InputLayer } from './core.ts';
import { Conv2D } from './conv.ts';
import { DepthwiseConv2D } from './conv-depthwise.ts';
import { LayerConfigError } from './errors.ts';
import type { Layer } from './layer.ts';
import { Concatenate } from './merge.ts';
import { Add, Multiply } from './merge-elementwise.ts';
import type { Model } from './model.ts';
import { BatchNormalization } from './normalization.ts';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D } from './pooling.ts';
import { Reshape } from './reshape.ts';
import { Rescaling } from './rescaling.ts';

/** One entry of a weights manifest. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32';
}

/** The parsed model.json. */
export interface ModelJson {
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: null;
  readonly modelTopology: { class_name: 'Model'; config: unknown; keras_version: string; backend: string };
  readonly weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

const pair = (p: readonly [number, number]): number[] => [p[0], p[1]];

/** A layer's Keras config, snake_case. */
function kerasConfig(l: Layer): Record<string, unknown> {
  const base = { name: l.name, trainable: l.trainable, dtype: 'float32' };
  if (l instanceof InputLayer) return { batch_input_shape: l.shape, dtype: 'float32', sparse: false, name: l.name };
  if (l instanceof Dense) return { ...base, units: l.units, activation: l.activation, use_bias: l.useBias };
  if (l instanceof Conv2D) {
    return { ...base, filters: l.filters, kernel_size: pair(l.kernelSize), strides: pair(l.strides), padding: l.padding, data_format: 'channels_last', dilation_rate: [1, 1], activation: l.activation, use_bias: l.useBias };
  }
  if (l instanceof DepthwiseConv2D) {
    return { ...base, kernel_size: pair(l.kernelSize), depth_multiplier: l.depthMultiplier, strides: pair(l.strides), padding: l.padding, data_format: 'channels_last', dilation_rate: pair(l.dilationRate), activation: l.activation, use_bias: l.useBias };
  }
  if (l instanceof Reshape) return { ...base, target_shape: [...l.targetShape] };
  if (l instanceof Rescaling) return { ...base, scale: l.scale, offset: l.offset };
  if (l instanceof Add || l instanceof Multiply) return base;
  if (l instanceof MaxPooling2D || l instanceof AveragePooling2D) return { ...base, pool_size: pair(l.poolSize), strides: pair(l.strides), padding: l.padding, data_format: 'channels_last' };
  if (l instanceof GlobalAveragePooling2D) return { ...base, data_format: 'channels_last' };
  if (l instanceof Flatten) return base;
  if (l instanceof ActivationLayer) return { ...base, activation: l.activation };
  if (l instanceof Dropout) return { ...base, rate: l.rate };
  if (l instanceof Concatenate) return { ...base, axis: l.axis };
  if (l instanceof BatchNormalization) return { ...base, axis: -1, momentum: l.momentum, epsilon: l.epsilon, center: l.center, scale: l.scale };
  throw new LayerConfigError(`layer '${l.name}' (${l.className}) has no TensorFlow.js form`);
}

/** The Keras functional topology of a model. */
export function topology(m: Model): ModelJson['modelTopology'] {
  const uses = new Map<Layer, number>();
  const nodeIndex = new Map<unknown, [string, number]>();
  const inbound = new Map<Layer, unknown[]>();
  for (const n of m.nodes) {
    const k = uses.get(n.layer) ?? 0;
    uses.set(n.layer, k + 1);
    nodeIndex.set(n.output, [n.layer.name, k]);
    if (n.inputs.length > 0) {
      const list = inbound.get(n.layer) ?? [];
      list.push(n.inputs.map((t) => [...nodeIndex.get(t)!, 0, {}]));
      inbound.set(n.layer, list);
    }
  }
  const layers = m.layers.map((l) => ({ name: l.name, class_name: l.className, config: kerasConfig(l), inbound_nodes: inbound.get(l) ?? [] }));
  const ends = (ts: Model['inputs']) => ts.map((t) => [...nodeIndex.get(t)!, 0]);
  return {
    class_name: 'Model',
    config: { name: m.name, layers, input_layers: ends(m.inputs), output_layers: ends(m.outputs) },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

/** model.json (as an object) and weights.bin (bytes) of a model. */
export function toTfjs(m: Model, weightsPath = 'weights.bin'): { json: ModelJson; weights: Uint8Array } {
  const specs: WeightSpec[] = m.weights.map((w) => ({ name: w.fullName, shape: [...w.shape], dtype: 'float32' }));
  const data = new Float32Array(m.weights.reduce((a, w) => a + w.size, 0));
  let o = 0;
  for (const w of m.weights) {
    data.set(w.value!, o);
    o += w.size;
  }
  const json: ModelJson = { format: 'layers-model', generatedBy: 'tpusim 0.1.0', convertedBy: null, modelTopology: topology(m), weightsManifest: [{ paths: [weightsPath], weights: specs }] };
  return { json, weights: new Uint8Array(data.buffer) };
}

/**
 * Sets a model's weights from a manifest and its concatenated weight bytes, by name. Every
 * weight of the model must be present with its shape; extra weights in the file are an error
 * too unless `allowExtra` (transfer learning from a bigger model).
 */
export function setWeightsFromTfjs(m: Model, specs: readonly WeightSpec[], bytes: Uint8Array, o: { allowExtra?: boolean } = {}): void {
  const byName = new Map(m.weights.map((w) => [w.fullName, w]));
  const seen = new Set<string>();
  let offset = 0;
  const values = new Map<string, Float32Array>();
  for (const s of specs) {
    if (s.dtype !== 'float32') throw new LayerConfigError(`weight '${s.name}' is ${String(s.dtype)}; only float32 weights are supported`);
    const n = s.shape.reduce((a, d) => a * d, 1);
    if (offset + 4 * n > bytes.length) throw new LayerConfigError(`weights data ends at byte ${bytes.length}, weight '${s.name}' needs bytes ${offset}..${offset + 4 * n}`);
    values.set(s.name, new Float32Array(bytes.slice(offset, offset + 4 * n).buffer));
    offset += 4 * n;
    const w = byName.get(s.name);
    if (!w) {
      if (o.allowExtra) continue;
      throw new LayerConfigError(`weight '${s.name}' in the file is not in model '${m.name}' (its weights: ${[...byName.keys()].join(', ')})`);
    }
    if (w.shape.length !== s.shape.length || w.shape.some((d, i) => d !== s.shape[i])) {
      throw new LayerConfigError(`weight '${s.name}': the model has [${w.shape.join(',')}], the file has [${s.shape.join(',')}]`);
    }
    seen.add(s.name);
  }
  const missing = [...byName.keys()].filter((k) => !seen.has(k));
  if (missing.length > 0) throw new LayerConfigError(`model '${m.name}' weights missing from the file: ${missing.join(', ')}`);
  for (const [name, w] of byName) w.value = values.get(name)!;
  void m.trainer?.resetState(); // the device takes the new weights at the next step
}
