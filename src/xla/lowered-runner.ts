/**
 * @module xla/lowered-runner
 * A lowered module (./lower.ts) on a simulated TensorCore: loaded once with its constants,
 * then run as often as a training loop needs, only the arguments written between runs; each
 * run returns the outputs, the core's profile and its busy cycles and DMA bytes by HLO
 * instruction (the program's owners). `runLowered` is one run on a fresh core.
 *
 * Imports tpu (TensorCore, profile), ./lower (the lowered module), ./lower-emit (errors).
 */
import { TensorCore } from '../tpu/core.ts';
import type { Profile } from '../tpu/profile.ts';
import type { LoweredModule } from './lower.ts';
import { LoweringError } from './lower-emit.ts';

/** Cycles attributed to one HLO instruction of a run. */
export interface HloOpProfile {
  readonly owner: string;
  readonly instructions: number;
  /** Sum of its program instructions' busy cycles, all units. */
  readonly busyCycles: number;
  readonly dmaBytes: number;
}

/** The result of one run of a lowered module. */
export interface LoweredRun {
  readonly outputs: Float32Array[];
  readonly profile: Profile;
  /** Cycles per HLO instruction (busy cycles of its program instructions, all units). */
  readonly byOp: HloOpProfile[];
}

/**
 * A lowered module loaded once on a core, run many times (a training loop: only the
 * arguments change between steps). `execute: false` runs timing only (no data).
 */
export class LoweredRunner {
  constructor(
    readonly lowered: LoweredModule,
    readonly core: TensorCore = new TensorCore(),
  ) {
    core.load(lowered.program);
    for (const [name, data] of lowered.initial) core.write(name, data);
  }

  /** Writes the arguments, runs the program, reads the outputs. */
  run(args: readonly ArrayLike<number>[], options: { readonly execute?: boolean } = {}): LoweredRun {
    const l = this.lowered;
    if (args.length !== l.params.length) throw new LoweringError(`the program takes ${l.params.length} arguments, got ${args.length}`);
    l.params.forEach((name, i) => this.core.write(name, Float32Array.from(args[i]!)));
    const profile = this.core.run(options);
    const byOwner = new Map<string, { instructions: number; busyCycles: number; dmaBytes: number }>();
    for (const r of profile.ops) {
      const owner = l.owners[r.index] ?? '?';
      const o = byOwner.get(owner) ?? { instructions: 0, busyCycles: 0, dmaBytes: 0 };
      byOwner.set(owner, { instructions: o.instructions + 1, busyCycles: o.busyCycles + r.cycles, dmaBytes: o.dmaBytes + r.bytes });
    }
    const outputs = l.outputs.map((name) => this.core.read(name));
    return { outputs, profile, byOp: [...byOwner].map(([owner, v]) => ({ owner, ...v })) };
  }

  /** Frees the core's buffers. */
  close(): void {
    this.core.unload();
  }
}

/** Runs a lowered module once on a fresh simulated TensorCore. */
export function runLowered(l: LoweredModule, args: readonly ArrayLike<number>[], options: { readonly execute?: boolean; readonly core?: TensorCore } = {}): LoweredRun {
  const runner = new LoweredRunner(l, options.core);
  try {
    return runner.run(args, options.execute === undefined ? {} : { execute: options.execute });
  } finally {
    runner.close();
  }
}
