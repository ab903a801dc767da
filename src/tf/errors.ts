/**
 * @module tf/errors
 * The error the TensorFlow.js-style surface throws for bad arguments: one line naming the
 * call and the argument, as TF.js's ValueError does ("tf.sequential: layers[2] is not a
 * layer"). `userFacing` makes the CLI print it as one line, like the layers' errors.
 *
 * Imports nothing.
 */

/** A bad argument to a tf.* call; the message names the call and the argument. */
export class TfError extends Error {
  override readonly name = 'ValueError';
  readonly userFacing = true;
}
