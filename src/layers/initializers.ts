/**
 * @module layers/initializers
 * Weight initialisers with Keras's defaults: glorot uniform for kernels, zeros for biases
 * and batch norm's beta and moving mean, ones for gamma and the moving variance. Values are
 * f32 (Math.fround), drawn from ./random's seeded streams. The other variance-scaling
 * initialisers Keras and TensorFlow.js name (glorotNormal, heNormal, heUniform, leCunNormal,
 * leCunUniform, varianceScaling) follow Keras: normal ones are truncated at two standard
 * deviations, with the standard deviation corrected for the truncation.
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

/** Which fan a variance-scaling initialiser divides by. */
type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';

const fanOf = (shape: readonly number[], mode: FanMode): number => {
  const { fanIn, fanOut } = fans(shape);
  return mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
};

/** A standard normal draw truncated to [-2, 2] (Box-Muller, redrawn outside). */
function truncatedNormal(random: SeededRandom): number {
  for (;;) {
    const z = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    if (Math.abs(z) <= 2) return z;
  }
}

/** Std of a unit normal truncated to [-2, 2] (Keras divides by it so the variance is `scale / fan`). */
const TRUNCATED_STD = 0.8796256610342398;

/** Keras's VarianceScaling: variance scale / fan, from a truncated normal or a uniform. */
export function varianceScaling(scale: number, mode: FanMode, distribution: 'normal' | 'uniform'): Initializer {
  return (shape, random) => {
    const variance = scale / Math.max(1, fanOf(shape, mode));
    const out = new Float32Array(size(shape));
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      for (let i = 0; i < out.length; i++) out[i] = (2 * random.next() - 1) * limit;
    } else {
      const std = Math.sqrt(variance) / TRUNCATED_STD;
      for (let i = 0; i < out.length; i++) out[i] = truncatedNormal(random) * std;
    }
    return out;
  };
}

/** All zeros. */
export const zeros: Initializer = (shape) => new Float32Array(size(shape));

/** All ones. */
export const ones: Initializer = (shape) => new Float32Array(size(shape)).fill(1);

/** Initialisers by Keras name (TensorFlow.js's camelCase), with Keras's default arguments. */
export const INITIALIZERS = {
  glorotUniform,
  zeros,
  ones,
  glorotNormal: varianceScaling(1, 'fanAvg', 'normal'),
  heNormal: varianceScaling(2, 'fanIn', 'normal'),
  heUniform: varianceScaling(2, 'fanIn', 'uniform'),
  leCunNormal: varianceScaling(1, 'fanIn', 'normal'),
  leCunUniform: varianceScaling(1, 'fanIn', 'uniform'),
  varianceScaling: varianceScaling(1, 'fanIn', 'normal'),
} as const satisfies Record<string, Initializer>;

/** Names accepted where an initialiser is configurable. */
export type InitializerName = keyof typeof INITIALIZERS;

/** The initialiser called `name`, or an error listing the valid names. */
export function initializer(name: string): Initializer {
  return lookup(INITIALIZERS, name, 'initializer');
}
