/**
 * @module tpu/parallel-board
 * A board whose cores live on worker threads: `ParallelBoard` splits the cores into one
 * contiguous block per thread; each thread runs its cores' local instructions between
 * collectives (./board-worker.ts), and the main thread runs every all-reduce on the gathered
 * buffers, exactly as ./board.ts does.
 *
 * `WorkerRpc` (request/reply with one worker thread, .ts modules loaded through tsx) is
 * exported for other folders' worker pools (src/layers runs training replicas with it).
 *
 * Imports ./board-worker (types, marker), ./collectives, ./config, ./profile.
 * Results do not depend on the thread count: each core's instructions run in the same order
 * with the same numerics whichever thread holds it, cores share nothing between
 * collectives, and the collectives run on the main thread over buffers gathered in core
 * order (tested: same bits and cycles as the single-threaded Board for 1, 2 and 3 threads).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BoardRun } from './board.ts';
import { BOARD_WORKER_MARKER, type AdvanceReply, type BoardRequest, type WorkerReply } from './board-worker.ts';
import { allReduce, allReduceTiming, topologyDims, type AllReduceTiming } from './collectives.ts';
import { checkTopology, topologyCores, type SystemConfig } from './config.ts';
import type { InstructionRecord } from './executor.ts';
import { BYTES_PER_VALUE } from './memory.ts';
import { buildProfile } from './profile.ts';
import type { Program } from './program.ts';

/** ES module source that registers tsx in a fresh worker, then imports the module at `url`. */
function bootstrapSource(url: URL): string {
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/esm/api')), 'index.mjs')).href;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
}

/** An error raised on a worker, re-thrown here with its message, one-line flag and the worker's stack. */
class WorkerError extends Error {
  override readonly name = 'WorkerError';
  constructor(
    message: string,
    readonly userFacing: boolean,
    workerStack?: string,
  ) {
    super(message);
    if (workerStack) this.stack = `${workerStack}\n    (on a worker thread)`;
  }
}

/**
 * Request/reply over one worker thread whose module answers with ./board-worker.ts's
 * `serveRequests`: every request gets exactly one reply with its id; a worker error rejects
 * that request (message and `userFacing` kept); a crash or unexpected exit rejects all.
 */
export class WorkerRpc<Req extends { readonly type: string }> {
  private nextId = 0;
  private closing = false;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      if (!this.closing) this.failAll(new WorkerError(`a worker thread stopped (exit code ${code})`, false));
    });
  }

  /**
   * Starts a worker running the module at `url` (a .ts file is loaded through tsx) with
   * `workerData`; resolves once the module has called `serveRequests`.
   */
  static async start<R extends { readonly type: string }>(url: URL, workerData: unknown): Promise<WorkerRpc<R>> {
    const worker = new Worker(bootstrapSource(url), { eval: true, workerData });
    try {
      await waitReady(worker);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new WorkerRpc<R>(worker);
  }

  /** Sends one request (`transfer`: buffers moved, not copied) and waits for its reply. */
  request(body: Req, transfer: readonly ArrayBuffer[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id }, [...transfer]);
    });
  }

  /** Stops the worker; pending requests are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    this.failAll(new WorkerError('the worker thread was closed', false));
    await this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new WorkerError(reply.message, reply.userFacing, reply.stack));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

type Body = BoardRequest extends infer R ? (R extends BoardRequest ? Omit<R, 'id'> : never) : never;

/** A board of cores on worker threads. Create with `ParallelBoard.create`, release with `close()`. */
export class ParallelBoard {
  /** Torus dims of the interconnect. */
  readonly dims: readonly number[];
  /** Core ids held by each worker (contiguous blocks, in order). */
  readonly blocks: readonly (readonly number[])[];

  private constructor(
    readonly system: SystemConfig,
    private readonly workers: readonly WorkerRpc<Body>[],
  ) {
    const cores = topologyCores(system.topology, system.coresPerChip);
    this.dims = topologyDims(system.topology, system.coresPerChip);
    const per = Math.ceil(cores / workers.length);
    this.blocks = workers.map((_, w) => Array.from({ length: Math.max(0, Math.min(cores, (w + 1) * per) - w * per) }, (_, i) => w * per + i));
  }

  /** Starts `threads` workers (at most one per core) holding the system's cores. */
  static async create(system: SystemConfig, threads: number): Promise<ParallelBoard> {
    checkTopology(system.topology);
    const cores = topologyCores(system.topology, system.coresPerChip);
    if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const count = Math.ceil(cores / Math.ceil(cores / threads)); // no thread without a core
    const url = new URL('./board-worker.ts', import.meta.url);
    const started = await Promise.allSettled(Array.from({ length: count }, () => WorkerRpc.start<Body>(url, { marker: BOARD_WORKER_MARKER })));
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map((w) => w.close()));
      throw failed.reason;
    }
    const board = new ParallelBoard(system, workers);
    await board.all((w) => ({ type: 'init', system, coreIds: board.blocks[w]! }));
    return board;
  }

  /** Loads the same program on every core. */
  async load(program: Program): Promise<void> {
    await this.all(() => ({ type: 'load', program }));
  }

  /** Copies host values into one core's buffer. */
  async write(core: number, name: string, data: Float32Array): Promise<void> {
    await this.request(this.workerOf(core), { type: 'write', core, name, data });
  }

  /** A copy of one core's buffer. */
  async read(core: number, name: string): Promise<Float32Array> {
    return (await this.request(this.workerOf(core), { type: 'read', core, name })) as Float32Array;
  }

  /** Runs the loaded program on every core (same results and cycles as Board.run). */
  async run(options: { readonly execute?: boolean } = {}): Promise<BoardRun> {
    const execute = options.execute ?? true;
    const clockHz = this.system.core.mxu.clockHz;
    const collectives: AllReduceTiming[] = [];
    await this.all(() => ({ type: 'start', execute }));
    for (;;) {
      const replies = (await this.all(() => ({ type: 'advance' }))) as AdvanceReply[];
      const first = replies[0]!;
      if (first.done) break;
      const start = replies.reduce((t, r) => r.ready.reduce((a, b) => Math.max(a, b), t), 0);
      const buffers = execute ? replies.flatMap((r) => r.data!) : null;
      const values = first.values;
      const timing = buffers ? allReduce(buffers, this.dims, this.system.link, { bidirectional: this.system.bidirectionalRings ?? false }) : allReduceTiming(values, this.dims, this.system.link, { bidirectional: this.system.bidirectionalRings ?? false });
      collectives.push(timing);
      const cycles = Math.ceil(timing.seconds * clockHz);
      let offset = 0;
      await this.all((w) => {
        const n = this.blocks[w]!.length;
        const data = buffers ? buffers.slice(offset, offset + n) : null;
        offset += n;
        return { type: 'complete', startCycle: start, cycles, bytes: values * BYTES_PER_VALUE, data };
      });
    }
    const records = ((await this.all(() => ({ type: 'records' }))) as InstructionRecord[][][]).flat();
    const profiles = records.map((r) => buildProfile(r, this.system.core));
    const totalCycles = profiles.reduce((t, p) => Math.max(t, p.totalCycles), 0);
    return { profiles, totalCycles, seconds: totalCycles / clockHz, collectives };
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private workerOf(core: number): number {
    const w = this.blocks.findIndex((b) => b.includes(core));
    if (w < 0) throw new RangeError(`parallel board: no core ${core}`);
    return w;
  }

  private all(body: (worker: number) => Body): Promise<unknown[]> {
    return Promise.all(this.workers.map((_, w) => this.request(w, body(w))));
  }

  private request(worker: number, body: Body): Promise<unknown> {
    return this.workers[worker]!.request(body);
  }
}

/** Resolves when the worker says it is ready; rejects if it fails or exits first. */
function waitReady(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      w.off('error', onError);
      w.off('exit', onExit);
      w.off('message', onMessage);
    };
    const onMessage = (msg: { ready?: boolean }): void => {
      if (msg.ready === undefined) return;
      done();
      resolve();
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onExit = (code: number): void => {
      done();
      reject(new WorkerError(`a worker thread stopped before it was ready (exit code ${code}; does its module call serveRequests?)`, false));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}
