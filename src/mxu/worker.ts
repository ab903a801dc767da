/**
 * @module mxu/worker
 * Helper threads of the MXU kernel: `KernelHelpers` starts worker threads that instantiate
 * the calling thread's compiled kernel on the SAME shared linear memory, so a pass is packed
 * once and its row chunks are computed in place by whichever thread claims them first
 * (`matmulChunks` in ./wasm/kernel.ts; the calling thread claims chunks too, so a slow
 * helper never delays a pass by more than the chunk it holds).
 *
 * Imports host/threads (the project's one way to run host threads): each helper is a
 * `HostThread` serving a few lines of plain JavaScript given as an inline `data:` module (no
 * TypeScript loader in the worker: it starts in tens of milliseconds and costs a few MiB).
 * The compiled module and the shared memory reach it as its `onStart` data (structured clone
 * keeps a WebAssembly.Module and shares a shared Memory); a pass's job is a `post` (no reply:
 * helpers and the caller coordinate through Atomics in the shared memory), so an idle or
 * working helper never keeps the process alive. A helper still starting is not sent jobs: it
 * cannot join a pass in flight anyway (a pass blocks the calling thread, whose event loop
 * learns that the helper is up), and joins the passes after it.
 * Invariant: a helper only ever calls `matmulChunks` with the arguments it was sent; a trap
 * sets the block's failure flag and wakes the waiter.
 * NOTE: a helper thread that dies inside a chunk (killed, out of memory) would leave that
 * chunk unfinished and its pass waiting; helpers are only terminated by `close()`, which runs
 * between passes (a pass is synchronous), when no chunk is held.
 */
import { HostThread } from '../host/threads.ts';

/** The arguments of `matmulChunks` for one pass (byte offsets into the shared memory). */
export interface ChunkJob {
  readonly ctl: number;
  readonly gen: number;
  readonly aP: number;
  readonly bP: number;
  readonly c: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly rows: number;
  readonly chunkBlocks: number;
  /** 1: accumulators start at +0; 0: continue from the values in C. */
  readonly clear: number;
}

/** Index (in i32 units from the control block) of the finished-chunk count and the failure flag. */
export const CTL_DONE = 2;
export const CTL_FAILED = 3;

/**
 * The module a helper thread serves (plain JavaScript, as an inline `data:` module): `onStart`
 * instantiates the kernel on the shared memory, `onPost` computes chunks of one pass.
 */
const HELPER_SOURCE = `
let ex = null;
let memory = null;
export function onStart(data) {
  memory = data.memory;
  ex = new WebAssembly.Instance(data.module, { env: { memory, abort() { throw new Error('mxu-kernel.wasm aborted'); } } }).exports;
}
export function onPost(j) {
  try {
    ex.matmulChunks(j.ctl, j.gen, j.aP, j.bP, j.c, j.m, j.k, j.n, j.rows, j.chunkBlocks, j.clear);
  } catch {
    const v = new Int32Array(memory.buffer);
    Atomics.store(v, (j.ctl >> 2) + ${CTL_FAILED}, 1);
    Atomics.notify(v, (j.ctl >> 2) + ${CTL_DONE});
  }
}
`;
const HELPER_MODULE = `data:text/javascript,${encodeURIComponent(HELPER_SOURCE)}`;

/** One helper: its thread once it is up. */
interface Helper {
  thread: HostThread | undefined;
  readonly started: Promise<HostThread>;
}

/** Helper threads sharing one kernel instance's module and memory. */
export class KernelHelpers {
  private readonly helpers: Helper[] = [];

  /** `module`: the compiled kernel; `memory`: the caller's shared WebAssembly.Memory. */
  constructor(
    private readonly module: object,
    private readonly memory: object,
  ) {}

  /** Number of helper threads started so far (up or still starting). */
  get count(): number {
    return this.helpers.length;
  }

  /** Starts helpers until there are `count` (never blocks; they join passes once up). */
  ensure(count: number): void {
    while (this.helpers.length < count) {
      const started = HostThread.start(HELPER_MODULE, { data: { module: this.module, memory: this.memory } }).catch((err: Error) => {
        throw new Error(`mxu helper thread failed to start: ${err.message}`);
      });
      const helper: Helper = { thread: undefined, started };
      started.then((t) => (helper.thread = t)).catch(() => {}); // reported by ready(); a pass does not need its helpers up
      this.helpers.push(helper);
    }
  }

  /** Resolves when every helper started so far has instantiated the kernel. */
  async ready(): Promise<void> {
    await Promise.all(this.helpers.map((h) => h.started));
  }

  /**
   * Sends a pass's chunk job to those of the first `count` helpers that are up (they claim
   * chunks as they come; one still starting sits this pass out).
   */
  post(job: ChunkJob, count: number): void {
    for (let i = 0; i < count && i < this.helpers.length; i++) this.helpers[i]!.thread?.post(job);
  }

  /** Stops every helper (one still starting is stopped once it is up). */
  async close(): Promise<void> {
    const all = this.helpers.splice(0);
    await Promise.all(all.map((h) => h.started.then((t) => t.close(), () => {})));
  }
}
