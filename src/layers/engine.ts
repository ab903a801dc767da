/**
 * @module layers/engine
 * Where a compiled step runs. An `Engine` takes an HLO module and its arguments and returns
 * the outputs plus the time the device spends on it.
 *
 * Today's engine is the compiler's reference interpreter (xla/evaluate): every dot and
 * convolution with the MXU's numerics (bf16 operands, f32 accumulation in the documented
 * order, the model's precision), every other op with the VPU's f32 functions. Its time is the
 * compiler's per-op cost model (MXU formula, VPU and HBM costs), summed without overlap:
 * a *predicted* time, not a simulated one. NOTE: the lowering to TensorCore programs
 * (xla/lower.ts) had not landed when this was written; a `tpu` engine that runs the lowered
 * program on src/tpu's TensorCore plugs in here, behind the same interface.
 *
 * Imports xla, tpu (core config for costs).
 */
import { DEFAULT_CORE_CONFIG, type TensorCoreConfig } from '../tpu/index.ts';
import { evaluate, opRegistry, type HloModule, type OpDef } from '../xla/index.ts';

/** Result of running one module. */
export interface EngineRun {
  readonly outputs: Float32Array[];
  /** Device time of the run (seconds). */
  readonly deviceSeconds: number;
}

/** Runs HLO modules. */
export interface Engine {
  /** Short name shown in reports, e.g. 'interpreter'. */
  readonly name: string;
  run(m: HloModule, args: readonly Float32Array[]): EngineRun;
}

/** Predicted device seconds of a module: the sum of every op's cost-model cycles / clock. */
export function predictedSeconds(m: HloModule, core: TensorCoreConfig = DEFAULT_CORE_CONFIG): number {
  const shapes = new Map(m.entry.instructions.map((i) => [i.id, i.shape]));
  let cycles = 0;
  for (const instr of m.entry.instructions) {
    const def = opRegistry[instr.op] as OpDef<typeof instr.op>;
    cycles += def.cost(instr.operands.map((o) => shapes.get(o)!), instr.shape, instr.attrs as never, core).cycles;
  }
  return cycles / core.mxu.clockHz;
}

/** The reference interpreter as an engine (MXU/VPU numerics, cost-model time). */
export function interpreterEngine(core: TensorCoreConfig = DEFAULT_CORE_CONFIG): Engine {
  const seconds = new WeakMap<HloModule, number>();
  return {
    name: 'interpreter',
    run(m, args) {
      const out = evaluate(m, args, { mxu: { rows: core.mxu.rows, subnormals: core.mxu.subnormals } });
      let s = seconds.get(m);
      if (s === undefined) {
        s = predictedSeconds(m, core);
        seconds.set(m, s);
      }
      return { outputs: out.map((l) => l.data), deviceSeconds: s };
    },
  };
}
