/**
 * @module xla
 * Public surface of the compiler: HLO types, the builder and its compositions, text
 * printing and parsing, the verifier, the reference interpreter, autodiff, the pass
 * pipeline and the lowering. A plain list of export lines.
 */
export type * from './hlo.ts';
export { DTYPES } from './hlo.ts';
export { XlaBuilder, bf16, broadcastDims, f32, pred, s32, samePadding, type ConvOptions, type DotOptions, type Op, type OpLike, type WindowOptions } from './builder.ts';
export type { PoolOptions } from './compose.ts';
export { OP_NAMES, ShapeError, opDef, opRegistry, shapeText, sizeOf, type EvalContext, type Literal, type OpCost, type OpDef } from './ops/index.ts';
export { print, printShape } from './print.ts';
export { HloParseError, parse } from './parse.ts';
export { HloVerifyError, verify } from './verify.ts';
export { EvaluateError, evaluate, literal, type EvaluateOptions } from './evaluate.ts';
export { AutodiffError, gradModule, gradients } from './autodiff.ts';
export { EXAMPLES, convNetLoss, convNetTrainStep, type ConvNetOptions } from './examples.ts';
