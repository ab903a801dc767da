/**
 * @module tf/root-tpu
 * The root package's `tpu` namespace: the device module (../tpu: cores, boards, programs,
 * profiles) plus `tf.tpu`'s training options (./tpu: `strategy`, `setDefaults`), so
 * `tf.tpu.strategy({cores: 8})` works from `import * as tf from 'tpusim'`.
 * A plain list of export lines.
 */
export * from '../tpu/index.ts';
export { getDefaults, setDefaults, strategy, topK, type TpuDefaults } from './tpu.ts';
