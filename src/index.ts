/**
 * @module tpusim
 * The public API, grouped by module. Anything not exported here (or from a module's
 * `package.json` export) is internal.
 */
export * as bfloat16 from './bfloat16/index.ts';
export * as mxu from './mxu/index.ts';
export * as vpu from './vpu/index.ts';
export * as tpu from './tpu/index.ts';
export * as xla from './xla/index.ts';
export * as layers from './layers/index.ts';
export * as data from './data/index.ts';
