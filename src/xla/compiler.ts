/**
 * @module xla/compiler
 * The standard pass pipeline and the cost estimate of a compiled module: what
 * `tpusim compile` prints and what layers/ calls to compile a training step.
 *
 * Imports ./pipeline, ./passes/*, ./ops (costs), tpu/config (the core's parameters).
 * Pipeline: dce -> algsimp -> fusion -> layout -> schedule. Convolutions stay convolutions:
 * the lowering feeds their im2col patches to the MXU from vector memory (./lower-conv.ts);
 * the im2col pass (./passes/im2col.ts) writes them out as HLO for the interpreter's
 * definition and for comparison, and is not in the pipeline.
 * Every pass keeps every output bit (each pass file says why), so the compiled module
 * evaluates exactly like the input.
 */
import { DEFAULT_CORE_CONFIG, type TensorCoreConfig } from '../tpu/config.ts';
import type { HloModule } from './hlo.ts';
import { opRegistry, type CostUnit, type OpCost, type OpDef } from './ops/index.ts';
import { algsimp } from './passes/algsimp.ts';
import { dce } from './passes/dce.ts';
import { fusion } from './passes/fusion.ts';
import { layout } from './passes/layout.ts';
import { schedule } from './passes/schedule.ts';
import { runPipeline, type Pass, type PipelineOptions, type PipelineResult } from './pipeline.ts';
import { instrName } from './print.ts';

/** The standard passes, in order. */
export const STANDARD_PASSES: readonly Pass[] = [dce, algsimp, fusion, layout, schedule];

/** Names of the standard passes (for --dump-after and disabling). */
export const PASS_NAMES: readonly string[] = STANDARD_PASSES.map((p) => p.name);

/** Compiles a module with the standard passes. */
export function compile(m: HloModule, options: PipelineOptions = {}): PipelineResult {
  return runPipeline(m, STANDARD_PASSES, options);
}

/** Cost of one instruction of the entry. */
export interface OpEstimate extends OpCost {
  readonly name: string;
  readonly op: string;
  readonly source?: string;
}

/** Predicted cost of one execution of a module on one core. */
export interface Estimate {
  readonly ops: readonly OpEstimate[];
  /** Sum of per-op cycles: ops run one after another. */
  readonly cycles: number;
  /** Busiest unit's cycles: the bound if units overlapped perfectly. */
  readonly overlappedCycles: number;
  readonly cyclesByUnit: { readonly [U in CostUnit]: number };
  /** Bytes moved between HBM and the units. */
  readonly hbmBytes: number;
  /** Seconds at the core's clock (sequential cycles). */
  readonly seconds: number;
}

/** Estimates cycles and memory traffic of every instruction of the entry. */
export function estimate(m: HloModule, config: TensorCoreConfig = DEFAULT_CORE_CONFIG): Estimate {
  const byId = new Map(m.entry.instructions.map((i) => [i.id, i]));
  const ops: OpEstimate[] = [];
  const cyclesByUnit = { mxu: 0, vpu: 0, dma: 0, ici: 0, none: 0 };
  for (const instr of m.entry.instructions) {
    if (instr.op === 'parameter') continue;
    const def = opRegistry[instr.op] as OpDef<typeof instr.op>;
    const c = def.cost(instr.operands.map((o) => byId.get(o)!.shape), instr.shape, instr.attrs as never, config);
    ops.push({ ...c, name: instrName(instr), op: instr.op === 'fusion' ? `fusion:${instr.attrs.kind}` : instr.op, ...(instr.metadata?.source !== undefined ? { source: instr.metadata.source } : {}) });
    cyclesByUnit[c.unit] += c.cycles;
  }
  const cycles = ops.reduce((a, o) => a + o.cycles, 0);
  return {
    ops,
    cycles,
    overlappedCycles: Math.max(cyclesByUnit.mxu, cyclesByUnit.vpu, cyclesByUnit.dma, cyclesByUnit.ici),
    cyclesByUnit,
    hbmBytes: ops.reduce((a, o) => a + o.hbmBytes, 0),
    seconds: cycles / config.mxu.clockHz,
  };
}
