/**
 * @module layers/initializers
 * Weight initialisers with Keras's defaults: glorot uniform for kernels, zeros for biases
 * and batch norm's beta and moving mean, ones for gamma and the moving variance. Values are
 * f32 (Math.fround), drawn from ./random's seeded streams.
 *
 * Imports ./random, ./errors.
 */
import { lookup } from './errors.ts';
import { SeededRandom } from './random.ts';

/** Fills a weight of `shape` from a seeded stream. */
export type Initializer = (shape: readonly number[], random: SeededRandom) => Float32Array;

const size = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

/**
 * Keras's fans: a dense kernel [in, out] has fanIn = in, fanOut = out; a conv kernel
 * [kh, kw, cin, cout] has fanIn = kh*kw*cin and fanOut = kh*kw*cout.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = size(shape.slice(0, -2));
  return { fanIn: receptive * shape[shape.length - 2]!, fanOut: receptive * shape[shape.length - 1]! };
}

/** Uniform in [-limit, limit] with limit = sqrt(6 / (fanIn + fanOut)). */
export const glorotUniform: Initializer = (shape, random) => {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = (2 * random.next() - 1) * limit;
  return out;
};

/** All zeros. */
export const zeros: Initializer = (shape) => new Float32Array(size(shape));

/** All ones. */
export const ones: Initializer = (shape) => new Float32Array(size(shape)).fill(1);

/** Initialisers by Keras name. */
export const INITIALIZERS = { glorotUniform, zeros, ones } as const satisfies Record<string, Initializer>;

/** Names accepted where an initialiser is configurable. */
export type InitializerName = keyof typeof INITIALIZERS;

/** The initialiser called `name`, or an error listing the valid names. */
export function initializer(name: string): Initializer {
  return lookup(INITIALIZERS, name, 'initializer');
}
