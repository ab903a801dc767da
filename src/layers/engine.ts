/**
 * @module layers/engine
 * Where a compiled step runs. An `Engine` takes an HLO module and its arguments and returns
 * the outputs plus the time the device spends on it.
 *
 * - `tpuEngine` (the default): the compiler's standard passes (im2col, fusion, layout,
 *   scheduling), lowering to a TensorCore program, and a run on src/tpu's simulated
 *   TensorCore: every FLOP on the simulated MXU or VPU, time = simulated cycles / clock.
 *   Compiled and lowered once per module (the step cache keeps the module).
 * - `interpreterEngine`: the reference interpreter (xla/evaluate), same numerics contract,
 *   time from the per-op cost model (predicted, not simulated). The oracle in tests.
 *
 * Imports xla (compile, lower, evaluate), tpu (TensorCore, core config).
 */
import { DEFAULT_CORE_CONFIG, TensorCore, type TensorCoreConfig } from '../tpu/index.ts';
import { LoweredRunner, compile, evaluate, lower, opRegistry, type HloModule, type OpDef } from '../xla/index.ts';

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

/**
 * The simulated TensorCore as an engine: compile (standard passes), lower, load once on a
 * TensorCore, then run it for every step (only the arguments change).
 */
export function tpuEngine(): Engine {
  const runners = new WeakMap<HloModule, LoweredRunner>();
  return {
    name: 'tpu',
    run(m, args) {
      let r = runners.get(m);
      if (!r) {
        r = new LoweredRunner(lower(compile(m).module), new TensorCore());
        runners.set(m, r);
      }
      const run = r.run(args);
      return { outputs: run.outputs, deviceSeconds: run.profile.seconds };
    },
  };
}
