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
 * Both can hand a module to another host thread: `portable(m)` gives plain, clonable data
 * (the lowered program, or the HLO module) and `portableRunner` rebuilds, on the worker,
 * a runner with the same numerics and times as `run` (./replica-worker.ts).
 *
 * Imports xla (compile, lower, evaluate), tpu (TensorCore, core config).
 */
import { DEFAULT_CORE_CONFIG, TensorCore, type TensorCoreConfig } from '../tpu/index.ts';
import { LoweredRunner, compile, evaluate, lower, opRegistry, type HloModule, type LoweredModule, type OpDef } from '../xla/index.ts';

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
  /** The module as clonable data for a worker thread; absent: this engine runs on the main thread only. */
  portable?(m: HloModule): PortableModule;
}

/** A module ready to run on another thread (structured-clonable). */
export type PortableModule =
  | { readonly kind: 'lowered'; readonly lowered: LoweredModule }
  | { readonly kind: 'interpreted'; readonly module: HloModule; readonly core: TensorCoreConfig };

/** Runs a portable module the way its engine's `run` does (same bits, same device time). */
export function portableRunner(p: PortableModule): (args: readonly Float32Array[]) => EngineRun {
  if (p.kind === 'interpreted') {
    const engine = interpreterEngine(p.core);
    return (args) => engine.run(p.module, args);
  }
  const runner = new LoweredRunner(p.lowered, new TensorCore());
  return (args) => {
    const run = runner.run(args);
    return { outputs: run.outputs, deviceSeconds: run.profile.seconds };
  };
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
    portable: (m) => ({ kind: 'interpreted', module: m, core }),
  };
}

/**
 * The simulated TensorCore as an engine: compile (standard passes), lower, load once on a
 * TensorCore, then run it for every step (only the arguments change).
 */
export function tpuEngine(): Engine {
  const lowered = new WeakMap<HloModule, LoweredModule>();
  const runners = new WeakMap<HloModule, (args: readonly Float32Array[]) => EngineRun>();
  const lowerOnce = (m: HloModule): LoweredModule => {
    let l = lowered.get(m);
    if (!l) {
      l = lower(compile(m).module);
      lowered.set(m, l);
    }
    return l;
  };
  return {
    name: 'tpu',
    run(m, args) {
      let r = runners.get(m);
      if (!r) {
        r = portableRunner({ kind: 'lowered', lowered: lowerOnce(m) });
        runners.set(m, r);
      }
      return r(args);
    },
    portable: (m) => ({ kind: 'lowered', lowered: lowerOnce(m) }),
  };
}
