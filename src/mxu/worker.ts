/**
 * @module mxu/worker
 * Helper threads of the MXU kernel: `KernelHelpers` starts worker threads that instantiate
 * the calling thread's compiled kernel on the SAME shared linear memory, so a pass is packed
 * once and its row chunks are computed in place by whichever thread claims them first
 * (`matmulChunks` in ./wasm/kernel.ts; the calling thread claims chunks too, so a slow or
 * still-starting helper never delays a pass by more than the chunk it holds).
 *
 * Imports nothing of ours (node:worker_threads only). The worker body is a few lines of
 * plain JavaScript (no TypeScript loader in the worker: it starts in tens of milliseconds
 * and costs a few MiB). Invariant: a helper only ever calls `matmulChunks` with the
 * arguments it was sent; a trap sets the block's failure flag and wakes the waiter.
 * NOTE: a helper thread that dies inside a chunk (killed, out of memory) would leave that
 * chunk unfinished and its pass waiting; helpers are only terminated by `close()`, which runs
 * between passes (a pass is synchronous), when no chunk is held.
 */
import { Worker } from 'node:worker_threads';

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

/** The body of a helper thread (CommonJS, run with `eval: true`). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory } = workerData;
let ex = null;
try {
  ex = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('mxu-kernel.wasm aborted'); } } }).exports;
  parentPort.postMessage({ ready: true });
} catch (err) {
  parentPort.postMessage({ ready: false, message: String((err && err.message) || err) });
}
parentPort.on('message', (j) => {
  try {
    ex.matmulChunks(j.ctl, j.gen, j.aP, j.bP, j.c, j.m, j.k, j.n, j.rows, j.chunkBlocks, j.clear);
  } catch (err) {
    const v = new Int32Array(memory.buffer);
    Atomics.store(v, (j.ctl >> 2) + ${CTL_FAILED}, 1);
    Atomics.notify(v, (j.ctl >> 2) + ${CTL_DONE});
  }
});
`;

/** Helper threads sharing one kernel instance's module and memory. */
export class KernelHelpers {
  private readonly workers: Worker[] = [];
  private readonly readiness: Promise<void>[] = [];

  /** `module`: the compiled kernel; `memory`: the caller's shared WebAssembly.Memory. */
  constructor(
    private readonly module: object,
    private readonly memory: object,
  ) {}

  /** Number of helper threads started so far. */
  get count(): number {
    return this.workers.length;
  }

  /** Starts helpers until there are `count` (never blocks; they join passes once up). */
  ensure(count: number): void {
    while (this.workers.length < count) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: this.module, memory: this.memory } });
      w.unref(); // idle helpers never keep the process alive
      const ready = waitReady(w);
      ready.catch(() => {}); // reported by ready(); a pass does not need its helpers up
      this.readiness.push(ready);
      this.workers.push(w);
    }
  }

  /** Resolves when every helper started so far has instantiated the kernel. */
  async ready(): Promise<void> {
    await Promise.all(this.readiness);
  }

  /** Sends a pass's chunk job to the first `count` helpers (they claim chunks as they come). */
  post(job: ChunkJob, count: number): void {
    for (let i = 0; i < count && i < this.workers.length; i++) this.workers[i]!.postMessage(job);
  }

  /** Stops every helper. */
  async close(): Promise<void> {
    const all = this.workers.splice(0);
    this.readiness.splice(0);
    await Promise.all(all.map((w) => w.terminate()));
  }
}

function waitReady(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { ready?: boolean; message?: string }) => {
      if (msg.ready === undefined) return;
      w.off('error', reject);
      w.off('message', onMessage);
      if (msg.ready) resolve();
      else reject(new Error(`mxu helper thread failed to start: ${msg.message ?? 'unknown error'}`));
    };
    w.on('message', onMessage);
    w.once('error', reject);
  });
}
