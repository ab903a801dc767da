/**
 * @module tpu
 * Public surface of the device: configs and presets, memories, programs and their verifier,
 * the TensorCore and its executor, profiles, the interconnect's all-reduce, and the board.
 * Imports mxu and vpu (DESIGN.md).
 */
export {
  DEFAULT_CORE_CONFIG,
  DEFAULT_LINK_CONFIG,
  PRESETS,
  TpuConfigError,
  checkTopology,
  coreConfig,
  parseTopology,
  peakFlopsPerSecond,
  systemPeaks,
  systemPreset,
  topologyCores,
  type LinkConfig,
  type SystemConfig,
  type SystemPeaks,
  type TensorCoreConfig,
  type Topology,
} from './config.ts';
export { BYTES_PER_VALUE, BufferError, Memory, OutOfMemoryError, type MemoryKind } from './memory.ts';
export { ProgramError, UNITS, accesses, describeInstruction, dmaLayout, dmaValues, storageMap, unitOf, type BufferDecl, type DmaInstruction, type DmaLayout, type Instruction, type InstructionKind, type MatmulInstruction, type Program, type Unit } from './program.ts';
export { verifyProgram } from './verify.ts';
export { dmaBytesPerCycle, dmaCycles } from './dma.ts';
export { fastEngine, referenceEngine, type MatmulEngine, type MatmulOperands } from './matmul-engine.ts';
export { ProgramRun, executeInstruction, instructionCycles, type CoreContext, type InstructionRecord } from './executor.ts';
export { buildProfile, renderProfile, type Bound, type KindProfile, type Profile, type UnitProfile } from './profile.ts';
export { TensorCore, type CoreOptions } from './core.ts';
export {
  CollectiveError,
  allReduce,
  allReduceModelSeconds,
  allReduceTiming,
  topologyDims,
  type AllReduceOptions,
  type AllReduceStep,
  type AllReduceTiming,
} from './collectives.ts';
export { Board, collectiveStep, type BoardRun, type BoardRunOptions } from './board.ts';
export { CoreGroup, type CoreWrite, type GroupResult, type GroupStop } from './core-group.ts';
export { ParallelBoard } from './parallel-board.ts';
