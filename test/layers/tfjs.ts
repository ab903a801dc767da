/**
 * Test helper: TensorFlow.js (core + layers + the CPU backend) as the independent oracle.
 * Console output from tfjs's start-up is drained here so it does not fail the test.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

let ready: Promise<void> | undefined;

/** tfjs on the 'cpu' backend, ready to use. */
export async function tfjs(): Promise<{ tf: typeof tf; tfl: typeof tfl }> {
  ready ??= tf
    .setBackend('cpu')
    .then(() => tf.ready())
    .then(() => {
      // The CPU backend's first op warns once that tfjs-node would be faster: drain it here.
      const warn = console.warn;
      console.warn = () => {};
      try {
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
      } finally {
        console.warn = warn;
      }
    });
  await ready;
  return { tf, tfl };
}
