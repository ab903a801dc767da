/**
 * @module tpu/board
 * A system of TensorCores (a v2-8 board, or a pod slice) running one program on every core
 * (SPMD, data parallel) with all-reduce between them. Imports this folder only.
 *
 * Execution: cores step through the program together, instruction by instruction. A local
 * instruction runs on each core independently (no core ever reads another core's memory
 * outside a collective). An `all-reduce` starts on all cores at the latest of their ready
 * cycles (a barrier; a simplification: the real ring could start pipelining earlier), moves
 * the data over the interconnect (./collectives.ts), and ends on all cores at
 * start + ceil(seconds x clock).
 * Host threads: this class runs every core on the calling thread, in core order. Cores are
 * independent between collectives, so ./parallel-board.ts runs the same loop with the cores
 * on worker threads, with the same bits and cycles for any thread count.
 */
import { allReduce, allReduceTiming, topologyDims, type AllReduceTiming } from './collectives.ts';
import { checkTopology, topologyCores, type SystemConfig, type TensorCoreConfig } from './config.ts';
import { TensorCore } from './core.ts';
import type { MatmulEngine } from './matmul-engine.ts';
import { BYTES_PER_VALUE } from './memory.ts';
import { buildProfile, type Profile } from './profile.ts';
import type { Program } from './program.ts';

/** Options of a board. */
export interface BoardOptions {
  /** Builds each core's matrix unit. Default: the fast engine. */
  readonly engine?: (config: TensorCoreConfig) => MatmulEngine;
}

/** The result of an SPMD run. */
export interface BoardRun {
  /** One profile per core (identical timing on every core for SPMD programs). */
  readonly profiles: readonly Profile[];
  /** The last end over all cores. */
  readonly totalCycles: number;
  readonly seconds: number;
  /** Each all-reduce's timing, in program order. */
  readonly collectives: readonly AllReduceTiming[];
}

/** A board or pod of identical cores. */
export class Board {
  readonly cores: readonly TensorCore[];
  /** Torus dims of the interconnect (see ./collectives.ts). */
  readonly dims: readonly number[];

  constructor(
    readonly system: SystemConfig,
    options: BoardOptions = {},
  ) {
    checkTopology(system.topology);
    const n = topologyCores(system.topology, system.coresPerChip);
    this.dims = topologyDims(system.topology, system.coresPerChip);
    this.cores = Array.from({ length: n }, (_, id) =>
      options.engine ? new TensorCore({ config: system.core, engine: options.engine(system.core), id }) : new TensorCore({ config: system.core, id }),
    );
  }

  /** Loads the same program on every core. */
  load(program: Program): void {
    for (const core of this.cores) core.load(program);
  }

  /** Sums host buffers (one per core) in place with the board's all-reduce; returns its timing. */
  allReduce(buffers: readonly Float32Array[]): AllReduceTiming {
    return allReduce(buffers, this.dims, this.system.link, { bidirectional: this.system.bidirectionalRings ?? false });
  }

  /** Runs the loaded program on every core; `execute: false` computes timing only. */
  run(options: { readonly execute?: boolean } = {}): BoardRun {
    const execute = options.execute ?? true;
    const runs = this.cores.map((core) => core.start(execute));
    const collectives: AllReduceTiming[] = [];
    const clockHz = this.system.core.mxu.clockHz;
    while (!runs[0]!.done) {
      const instr = runs[0]!.current;
      if (instr.kind !== 'all-reduce') {
        for (const run of runs) run.step();
        continue;
      }
      const start = runs.reduce((t, r) => Math.max(t, r.readyCycle()), 0);
      const timing = execute
        ? this.allReduce(this.cores.map((c) => c.data(instr.buffer)))
        : allReduceTiming(this.cores[0]!.size(instr.buffer), this.dims, this.system.link, { bidirectional: this.system.bidirectionalRings ?? false });
      collectives.push(timing);
      const cycles = Math.ceil(timing.seconds * clockHz);
      const bytes = this.cores[0]!.size(instr.buffer) * BYTES_PER_VALUE;
      for (const run of runs) run.complete(start, cycles, bytes);
    }
    const profiles = runs.map((r) => buildProfile(r.records, this.system.core));
    const totalCycles = profiles.reduce((t, p) => Math.max(t, p.totalCycles), 0);
    return { profiles, totalCycles, seconds: totalCycles / clockHz, collectives };
  }
}
