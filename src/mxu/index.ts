/**
 * @module mxu
 * Public surface of the matrix unit: configuration, the numerics reference, the stepped
 * systolic array (PE -> array -> feeder -> MXU), the closed-form cycle count and the report.
 * A plain list of export lines; nothing here has behaviour of its own.
 */
export { DEFAULT_MXU_CONFIG, MxuConfigError, PASSES, PIECES, PRECISIONS, checkShape, mxuConfig, type MatmulShape, type MxuConfig, type Precision } from './config.ts';
export { CANONICAL_NAN_BITS, PASS_ORDER, canonicalizeNaNs, combinePasses, referenceMatmul, referencePass, type ReferenceOptions } from './reference.ts';
export { PE, PeGrid } from './pe.ts';
export { SystolicArray, WeightHazardError, type MacEngine, type PeState, type SystolicArrayUnit, type WeightRowWrite } from './array.ts';
export { Feeder, type AccumulatorWrite, type FeederCounters, type Tile } from './feeder.ts';
export { SteppedMxu, checkOperands, runStepped, type ArrayModel, type CycleEvents, type MxuCounters, type SteppedOptions, type SteppedResult } from './stepped.ts';
export { folds, mxuCounters, mxuCycles, tilePeriod, tileSchedule, type ClosedFormCounters } from './cycles.ts';
export { SCALESIM_FIELDS, WEIGHT_BYTES, formatReport, mxuReport, reportFromCounters, type MxuReport } from './report.ts';
export { randomOperands, renderFrame, renderTrace, traceMatmul, type SystolicTrace, type TraceFrame } from './trace.ts';
export { checkFeed, feedAddress, gatherFeed, type FeedDigit, type FeedPattern } from './feed.ts';
export { matmulFast, mxuMatmul, type FastMatmulOptions, type KernelBackend, type MxuMatmulResult } from './kernel.ts';
export { combinePassResults, matmulWithPrecision, passOperands, type PassFn } from './precision.ts';
export { MatmulPool, matmulParallel, type PoolMatmulOptions } from './parallel.ts';
export { NpyError, encodeNpy, parseNpy, readNpy, writeNpy, type NpyArray } from './npy.ts';
export { WasmKernelError } from './wasm-module.ts';
