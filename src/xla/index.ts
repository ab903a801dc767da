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
export { depthwiseConv2d, type DepthwiseOptions } from './compose-depthwise.ts';
export { OP_NAMES, ShapeError, opDef, opRegistry, shapeText, sizeOf, type EvalContext, type Literal, type OpCost, type OpDef } from './ops/index.ts';
export { print, printShape } from './print.ts';
export { HloParseError, parse } from './parse.ts';
export { HloVerifyError, verify } from './verify.ts';
export { EvaluateError, evaluate, evaluateReplicated, literal, type EvaluateOptions } from './evaluate.ts';
export { AutodiffError, gradModule, gradients } from './autodiff.ts';
export { EXAMPLES, convNetLoss, convNetTrainStep, type ConvNetOptions } from './examples.ts';
export { fixpoint, runPipeline, type Pass, type PassRecord, type PipelineOptions, type PipelineResult } from './pipeline.ts';
export { PASS_NAMES, STANDARD_PASSES, compile, estimate, type Estimate, type OpEstimate } from './compiler.ts';
export { algsimp } from './passes/algsimp.ts';
export { dce } from './passes/dce.ts';
export { convAsDot, im2col } from './passes/im2col.ts';
export { fusion, fusionDecisions, type FusionDecision, type FusionRecord } from './passes/fusion.ts';
export { layout, layoutPass, tiledBytes } from './passes/layout.ts';
export { dfsOrder, peakLiveBytes, schedule } from './passes/schedule.ts';
export { hbmLowerBound, type HbmBound } from './hbm-bound.ts';
export { LoweringError, lower, type LoweredModule, type LowerOptions, type ProgramMemory } from './lower.ts';
export { LoweredRunner, runLowered, type HloOpProfile, type LoweredRun } from './lowered-runner.ts';
export { planLowering, printPlan, type Decision, type LoweringPlan } from './lower-plan.ts';
export { kernelBudgetValues } from './lower-kernel.ts';
export { planConv, convGeometry, type ConvPlan, type ConvGeometry } from './lower-conv.ts';
