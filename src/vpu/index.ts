/**
 * @module vpu
 * Public surface of the vector unit: configuration and cost model, the op tables, the f32
 * primitives with their error bounds, whole-array ops and reductions, and the register-level
 * unit. Imports only bfloat16 (DESIGN.md).
 */
export { DEFAULT_VPU_CONFIG, VpuConfigError, vpuConfig, vregSize, type VpuConfig } from './config.ts';
export {
  BINARY_FNS,
  BINARY_OPS,
  COMPARE_FNS,
  COMPARE_OPS,
  OP_CYCLES,
  UNARY_FNS,
  UNARY_OPS,
  opCycles,
  type BinaryOp,
  type CompareOp,
  type UnaryOp,
  type VpuOp,
} from './ops.ts';
export { divF32, expF32, logF32, rsqrtF32, sqrtF32, tanhF32 } from './transcendental.ts';
export {
  VpuShapeError,
  arrayCycles,
  binary,
  broadcastCols,
  broadcastCycles,
  broadcastRows,
  compare,
  compareMask,
  fromBf16,
  select,
  selectMask,
  toBf16,
  transpose,
  transposeCycles,
  unary,
  vregCount,
  type Operand,
  type VpuOptions,
  type VpuResult,
} from './array.ts';
export { REDUCE_FNS, REDUCE_IDENTITY, foldCycles, foldSublanes, reduce, reduceCycles, treeReduce, type ReduceAxis, type ReduceKind, type ReduceResult } from './reduce.ts';
export { VectorUnit } from './vregs.ts';
