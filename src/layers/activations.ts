/**
 * @module layers/activations
 * Activations by Keras name, each a composition of HLO primitives through the builder:
 * relu = maximum(x, 0), relu6 = minimum(relu, 6), softmax from exp / reduce / divide (stable), sigmoid, tanh, linear.
 *
 * Imports xla (builder types), ./errors.
 */
import type { Op, XlaBuilder } from '../xla/index.ts';
import { lookup } from './errors.ts';

/** Emits an activation of x. */
export type Activation = (b: XlaBuilder, x: Op) => Op;

/** Every activation by Keras name. */
export const ACTIVATIONS = {
  linear: (_b, x) => x,
  relu: (b, x) => b.relu(x),
  // min(max(x, 0), 6): MobileNet's activation (TensorFlow's Relu6)
  relu6: (b, x) => b.minimum(b.relu(x), 6),
  sigmoid: (b, x) => b.sigmoid(x),
  softmax: (b, x) => b.softmax(x, -1),
  tanh: (b, x) => b.tanh(x),
} as const satisfies Record<string, Activation>;

/** A valid activation name. */
export type ActivationName = keyof typeof ACTIVATIONS;

/** Checks an activation name, throwing an error that lists the valid ones. */
export function activationName(name: string): ActivationName {
  lookup(ACTIVATIONS, name, 'activation');
  return name as ActivationName;
}
