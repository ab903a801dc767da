/**
 * @module tpu/parallel-board
 * A board whose cores live on worker threads: `ParallelBoard` splits the cores into one
 * contiguous block per thread (host/threads, serving ./board-worker.ts); each thread runs its
 * cores' local instructions between collectives, and the main thread runs every all-reduce
 * on the gathered buffers with ./board.ts's `collectiveStep`, exactly as `Board` does.
 *
 * Imports host/threads, ./board (collectiveStep, types), ./collectives, ./config,
 * ./core-group (types), ./program (types).
 * Results do not depend on the thread count: each core's instructions run in the same order
 * with the same numerics whichever thread holds it, cores share nothing between
 * collectives, and the collectives run on the main thread over buffers gathered in core
 * order (tested: same bits and cycles as Board for 1, 2 and 3 threads). A run costs two
 * messages per thread per collective.
 */
import { siblingModule, ThreadPool } from '../host/threads.ts';
import { collectiveStep, type BoardRun, type BoardRunOptions } from './board.ts';
import { topologyDims, type AllReduceTiming } from './collectives.ts';
import { checkTopology, topologyCores, type SystemConfig } from './config.ts';
import type { CoreWrite, GroupResult, GroupStop } from './core-group.ts';
import type { Program } from './program.ts';

/** A board of cores on worker threads. Create with `ParallelBoard.create`, release with `close()`. */
export class ParallelBoard {
  /** Torus dims of the interconnect. */
  readonly dims: readonly number[];

  private constructor(
    readonly system: SystemConfig,
    private readonly pool: ThreadPool,
    /** Core ids held by each thread (contiguous blocks, in order). */
    readonly blocks: readonly (readonly number[])[],
  ) {
    this.dims = topologyDims(system.topology, system.coresPerChip);
  }

  /** Threads running the cores. */
  get threads(): number {
    return this.pool.size;
  }

  /** Starts `threads` worker threads (at most one per core) holding the system's cores. */
  static async create(system: SystemConfig, threads: number): Promise<ParallelBoard> {
    checkTopology(system.topology);
    const cores = topologyCores(system.topology, system.coresPerChip);
    if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const per = Math.ceil(cores / threads);
    const count = Math.ceil(cores / per); // no thread without a core
    const blocks = Array.from({ length: count }, (_, w) => Array.from({ length: Math.min(cores, (w + 1) * per) - w * per }, (_, i) => w * per + i));
    const pool = await ThreadPool.start(siblingModule(import.meta.url, 'board-worker'), count, (w) => ({ data: { system, coreIds: blocks[w]! } }));
    return new ParallelBoard(system, pool, blocks);
  }

  /** Loads the same program on every core, and its initial data (constants). */
  async load(program: Program, initial: Iterable<readonly [string, Float32Array]> = []): Promise<void> {
    const data = [...initial];
    await this.pool.each('load', () => [program, data]);
  }

  /** Writes the same values into a buffer of every core (a device variable). */
  async writeAll(name: string, data: Float32Array): Promise<void> {
    await this.pool.each('writeAll', () => [name, data]);
  }

  /** Frees every core's device variables (and unloads the program). */
  async dropVariables(): Promise<void> {
    await this.pool.each('dropVariables', () => []);
  }

  /** A copy of one core's buffer. */
  async read(core: number, name: string): Promise<Float32Array> {
    const w = this.blocks.findIndex((b) => b.includes(core));
    if (w < 0) throw new RangeError(`parallel board: no core ${core}`);
    return this.pool.threads[w]!.call<Float32Array>('read', core, name);
  }

  /** Runs the loaded program on every core (same results and cycles as Board.run). */
  async run(options: BoardRunOptions = {}): Promise<BoardRun> {
    const execute = options.execute ?? true;
    const writes = options.writes ?? [];
    const mine = (w: number): CoreWrite[] => writes.filter(([core]) => this.blocks[w]!.includes(core));
    const collectives: AllReduceTiming[] = [];
    let stops = await this.pool.each<GroupStop>('start', (w) => [execute, mine(w)]);
    while (!stops[0]!.done) {
      const step = collectiveStep(this.system, this.dims, stops, execute);
      collectives.push(step.timing);
      stops = await this.pool.each<GroupStop>('complete', (w) => [step.complete, step.data?.[w] ?? null]);
    }
    const results = await this.pool.each<GroupResult>('finish', () => [options.reads ?? [], options.profile ?? true]);
    const totalCycles = Math.max(0, ...results.flatMap((r) => r.cycles));
    return {
      profiles: results.flatMap((r) => r.profiles ?? []),
      totalCycles,
      seconds: totalCycles / this.system.core.mxu.clockHz,
      collectives,
      reads: results.flatMap((r) => r.reads),
    };
  }

  /** Stops every worker thread. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
