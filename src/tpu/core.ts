/**
 * @module tpu/core
 * A TensorCore: MXU (through a MatmulEngine) + VPU + vector memory + HBM + DMA, running
 * programs. Imports mxu (via ./matmul-engine), vpu (via ./executor), and this folder.
 *
 * Lifecycle: `load(program)` verifies it and allocates its buffers (an OutOfMemoryError
 * names the buffer and both sizes); `write`/`read` move host data in and out (host I/O is
 * outside the simulated time); `run()` executes and returns the profile. Device variables
 * (weights, optimizer slots: BufferDecl.variable) outlive a program: the next program that
 * names them finds their data in HBM. A core is independent of every other core except
 * through the board's collectives.
 */
import { coreConfig, type TensorCoreConfig } from './config.ts';
import { ProgramRun, type CoreContext } from './executor.ts';
import { fastEngine, type MatmulEngine } from './matmul-engine.ts';
import { BufferError, Memory } from './memory.ts';
import { buildProfile, type Profile } from './profile.ts';
import type { Program } from './program.ts';
import { verifyProgram } from './verify.ts';

/** Options of a core. */
export interface CoreOptions {
  /** The core's configuration. Default: TPU v2. */
  readonly config?: TensorCoreConfig;
  /** The matrix unit. Default: fastEngine(config.mxu). */
  readonly engine?: MatmulEngine;
  /** Index on its board, for error messages. Default 0. */
  readonly id?: number;
}

/** Programs that passed verifyProgram. */
const verified = new WeakSet<Program>();

/** One TensorCore. */
export class TensorCore implements CoreContext {
  readonly config: TensorCoreConfig;
  readonly engine: MatmulEngine;
  readonly id: number;
  readonly hbm: Memory;
  readonly vmem: Memory;
  private program: Program | null = null;
  private readonly where = new Map<string, Memory>();
  /** Device variables: kept across programs (see BufferDecl.variable). */
  private readonly variables = new Map<string, Memory>();

  constructor(options: CoreOptions = {}) {
    this.config = options.config ?? coreConfig();
    this.engine = options.engine ?? fastEngine(this.config.mxu);
    this.id = options.id ?? 0;
    this.hbm = new Memory('hbm', this.config.hbmBytes, `core ${this.id}`);
    this.vmem = new Memory('vmem', this.config.vmemBytes, `core ${this.id}`);
  }

  /**
   * Verifies a program (once per program object: programs are immutable plain data, and a
   * board loads the same one into every core) and allocates its buffers, replacing any
   * previous program's.
   */
  load(program: Program): void {
    if (!verified.has(program)) {
      verifyProgram(program);
      verified.add(program);
    }
    this.unload();
    try {
      for (const b of program.buffers) {
        if (b.of !== undefined) continue;
        const mem = b.memory === 'hbm' ? this.hbm : this.vmem;
        const kept = this.variables.get(b.name);
        if (kept !== undefined && (!b.variable || kept !== mem || mem.size(b.name) !== b.values)) {
          kept.free(b.name); // a variable of another size or memory, or a plain buffer of its name: the old one goes
          this.variables.delete(b.name);
        }
        if (!b.variable || !this.variables.has(b.name)) mem.allocate(b.name, b.values);
        if (b.variable) this.variables.set(b.name, mem);
        this.where.set(b.name, mem);
      }
      for (const b of program.buffers) {
        if (b.of === undefined) continue;
        const mem = b.memory === 'hbm' ? this.hbm : this.vmem;
        mem.view(b.name, b.of, b.values);
        this.where.set(b.name, mem);
      }
    } catch (err) {
      this.unload(); // all or nothing: a failed load leaves an empty core
      throw err;
    }
    this.program = program;
  }

  /** Frees every buffer of the loaded program (views first) but its variables, which stay with their data. */
  unload(): void {
    const names = [...this.where.keys()];
    for (const name of [...names].reverse()) if (!this.variables.has(name)) this.where.get(name)!.free(name);
    this.where.clear();
    this.program = null;
  }

  /** Frees every device variable (and unloads the program). */
  dropVariables(): void {
    this.unload();
    for (const [name, mem] of this.variables) mem.free(name);
    this.variables.clear();
  }

  /** Names of the device variables this core holds. */
  get variableNames(): string[] {
    return [...this.variables.keys()];
  }

  /** A buffer's data (zeros until written). */
  data(name: string): Float32Array {
    return this.memoryOf(name).data(name);
  }

  /** A buffer's size in values. */
  size(name: string): number {
    return this.memoryOf(name).size(name);
  }

  /** Copies host values into a buffer (sizes must match). */
  write(name: string, values: Float32Array): void {
    const dst = this.data(name);
    if (values.length !== dst.length) throw new BufferError(`core ${this.id}: buffer '${name}' holds ${dst.length} values, got ${values.length}`);
    dst.set(values);
  }

  /** A copy of a buffer's values. */
  read(name: string): Float32Array {
    return this.data(name).slice();
  }

  /** Starts a run of the loaded program (the board steps it; `run` runs it alone). */
  start(execute = true): ProgramRun {
    if (!this.program) throw new BufferError(`core ${this.id}: no program loaded`);
    return new ProgramRun(this, this.program, execute);
  }

  /**
   * Runs the loaded program alone (an all-reduce over one core moves nothing and takes 0
   * cycles) and returns its profile.
   */
  run(options: { readonly execute?: boolean } = {}): Profile {
    const run = this.start(options.execute ?? true);
    while (!run.done) {
      if (run.current.kind === 'all-reduce') run.complete(run.readyCycle(), 0, 0);
      else run.step();
    }
    return buildProfile(run.records, this.config);
  }

  private memoryOf(name: string): Memory {
    const mem = this.where.get(name) ?? this.variables.get(name);
    if (!mem) throw new BufferError(`core ${this.id}: no buffer '${name}' in the loaded program`);
    return mem;
  }
}
