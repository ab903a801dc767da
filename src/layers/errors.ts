/**
 * @module layers/errors
 * The errors a Keras-style model reports to its user, each one line naming what and where:
 * incompatible shapes at build time (both layers, both shapes), unknown names (listing the
 * valid ones), and a NaN loss during fit (epoch and step). All carry `userFacing = true`
 * so the CLI prints them as one line.
 *
 * Imports nothing.
 */

/** A layer cannot take the shape it is given; names the layer(s) and the shapes. */
export class LayerShapeError extends Error {
  override readonly name = 'LayerShapeError';
  readonly userFacing = true;
}

/** An unknown activation, optimizer, loss, metric or preset name; lists the valid ones. */
export class UnknownNameError extends Error {
  override readonly name = 'UnknownNameError';
  readonly userFacing = true;
}

/** A bad layer or model argument (non-positive units, rate outside [0, 1), ...). */
export class LayerConfigError extends Error {
  override readonly name = 'LayerConfigError';
  readonly userFacing = true;
}

/** A model's weights would take more memory than its limit (ModelArgs.maxWeightBytes); checked before allocating. */
export class WeightsTooLargeError extends LayerConfigError {
  constructor(
    readonly model: string,
    readonly params: number,
    readonly limitBytes: number,
  ) {
    const gib = (b: number): string => `${(b / 2 ** 30).toPrecision(3)} GiB`;
    super(`model '${model}' has ${params.toLocaleString('en-US')} parameters, ${gib(4 * params)} as f32: more than the limit of ${gib(limitBytes)}`);
  }
}

/** Training diverged: the loss became NaN or infinite at `epoch`/`step` (both 1-based). */
export class NaNLossError extends Error {
  override readonly name = 'NaNLossError';
  readonly userFacing = true;
  constructor(
    readonly epoch: number,
    readonly step: number,
    loss: number,
  ) {
    super(`loss became ${loss} at epoch ${epoch}, step ${step}; training stopped (try a lower learning rate)`);
  }
}

/** Looks `name` up in a table, or throws an UnknownNameError listing the valid names. */
export function lookup<T>(table: { readonly [name: string]: T }, name: string, what: string): T {
  if (Object.hasOwn(table, name)) return table[name]!;
  throw new UnknownNameError(`unknown ${what} '${name}'; valid: ${Object.keys(table).join(', ')}`);
}
