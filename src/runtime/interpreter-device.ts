/**
 * @module runtime/interpreter-device
 * The reference interpreter as a device: the same SPMD module run on every replica in
 * lockstep by xla's `evaluateReplicated` (an all-reduce sums the replicas with tpu's ring
 * all-reduce, so the bits are the simulated board's), variables held on the host per
 * replica, device time predicted by the compiler's cost model (not simulated). The oracle
 * the simulated device is tested against. Calling thread only.
 *
 * Imports xla (interpreter, cost model), tpu (all-reduce, configs), ./device (types).
 */
import { DEFAULT_CORE_CONFIG, allReduce, type TensorCoreConfig } from '../tpu/index.ts';
import { evaluateReplicated, opRegistry, sizeOf, type HloModule, type OpDef } from '../xla/index.ts';
import type { Device, DeviceModule, DeviceOptions, DeviceRun, ReplicaInputs } from './device.ts';
import { ringSystem } from './tpu-device.ts';

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

/** The reference interpreter's replicas, as a device. */
export class InterpreterDevice implements Device {
  readonly name = 'interpreter';
  readonly replicas: number;
  readonly threads = 1;
  readonly workersReady = false;
  private readonly core: TensorCoreConfig;
  /** Per replica, every variable's value. */
  private readonly values: Map<string, Float32Array>[];
  private readonly staged = new Map<string, Float32Array>();
  private readonly seconds = new WeakMap<HloModule, number>();

  constructor(options: DeviceOptions & { readonly core?: TensorCoreConfig }) {
    this.replicas = options.replicas;
    this.core = options.core ?? DEFAULT_CORE_CONFIG;
    this.values = Array.from({ length: this.replicas }, () => new Map());
  }

  async run(m: DeviceModule, inputs: ReplicaInputs, _options: { readonly profile?: boolean } = {}): Promise<DeviceRun> {
    if (inputs.length !== this.replicas) throw new RangeError(`a run needs inputs for ${this.replicas} replicas, got ${inputs.length}`);
    const params = new Map(m.module.entry.instructions.flatMap((i) => (i.op === 'parameter' ? [[i.attrs.index, i.shape] as const] : [])));
    for (const [index, name] of m.variables) {
      const value = this.staged.get(name);
      for (const held of this.values) {
        if (value) held.set(name, value.slice());
        else if (!held.has(name)) held.set(name, new Float32Array(sizeOf(params.get(index)!.dims)));
      }
      this.staged.delete(name);
    }
    const args = this.values.map((held, r) =>
      [...params.keys()].sort((a, b) => a - b).map((index) => {
        const name = m.variables.get(index);
        return name !== undefined ? held.get(name)! : inputs[r]!.get(index)!;
      }),
    );
    const link = ringSystem(this.replicas).link;
    const results = evaluateReplicated(m.module, args, { mxu: this.core.mxu, allReduce: (buffers) => void allReduce(buffers, [this.replicas], link) });
    const aliased = new Map((m.module.aliases ?? []).map((a) => [a.output, m.variables.get(a.param)!]));
    const outputs = results.map((outs, r) => {
      const mine = new Map<number, Float32Array>();
      outs.forEach((lit, o) => {
        const name = aliased.get(o);
        if (name !== undefined) this.values[r]!.set(name, lit.data);
        else mine.set(o, lit.data);
      });
      return mine;
    });
    let s = this.seconds.get(m.module);
    if (s === undefined) this.seconds.set(m.module, (s = predictedSeconds(m.module, this.core)));
    return { outputs, deviceSeconds: s };
  }

  setVariable(name: string, value: Float32Array): void {
    this.staged.set(name, value.slice());
  }

  async getVariable(name: string, replica = 0): Promise<Float32Array | undefined> {
    return (this.staged.get(name) ?? this.values[replica]?.get(name))?.slice();
  }

  async dropVariables(): Promise<void> {
    this.staged.clear();
    for (const held of this.values) held.clear();
  }

  async stopThreads(): Promise<void> {}

  async close(): Promise<void> {}
}
