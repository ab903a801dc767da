/**
 * @module runtime/tpu-device
 * The simulated TPU as a device: one SPMD program per module, compiled (xla's standard
 * passes) and lowered for the board's core, loaded on every core of a board of `replicas`
 * cores in a ring; weights and optimizer slots are device variables that stay in each core's
 * HBM between runs; the all-reduce in the module runs on the simulated interconnect and its
 * time is part of the run's simulated time. Host threads run the cores (tpu's Board on the
 * calling thread, ParallelBoard on worker threads) with the same bits and cycles.
 *
 * Imports tpu (boards, configs), xla (compile, lower), ./device (types).
 * Threads 'auto': runs stay on the calling thread until one takes `autoThreadsSeconds` of
 * host time; then, if `spareThreads()` says 2+ CPUs are idle, worker threads start in the
 * background and the first run after they are ready moves the variables there (values read
 * from core 0: every replica holds the same bits). Small models never pay the workers'
 * start-up; on a host busy with other work everything stays on the calling thread.
 */
import { Board, ParallelBoard, systemPreset, type SystemConfig } from '../tpu/index.ts';
import { compile, lower, type LoweredModule } from '../xla/index.ts';
import type { Device, DeviceModule, DeviceOptions, DeviceRun, ReplicaInputs } from './device.ts';

/** Default host seconds of a run on the calling thread after which 'auto' starts worker threads. */
export const AUTO_THREADS_SECONDS = 0.25;

/** A ring of `replicas` TPU v2 cores (a v2-8 board when 8). */
export function ringSystem(replicas: number, base: SystemConfig = systemPreset('v2-8')): SystemConfig {
  return { ...base, name: `ring of ${replicas}`, topology: { kind: 'ring', cores: replicas } };
}

/** The simulated TensorCores of a board, as a device. */
export class TpuDevice implements Device {
  readonly name = 'tpu';
  readonly replicas: number;
  private readonly system: SystemConfig;
  private readonly lowered = new WeakMap<object, LoweredModule>();
  private board: Board | ParallelBoard;
  private loaded: LoweredModule | null = null;
  private starting: Promise<ParallelBoard> | null = null;
  private ready: ParallelBoard | null = null;
  /** Variables to write on every core before the next run that names them. */
  private readonly staged = new Map<string, Float32Array>();
  /** Variables the cores hold. */
  private readonly onDevice = new Set<string>();

  constructor(
    private readonly options: DeviceOptions & { readonly system?: SystemConfig },
  ) {
    this.replicas = options.replicas;
    this.system = options.system ?? ringSystem(options.replicas);
    this.board = new Board(this.system);
  }

  get threads(): number {
    return this.board instanceof ParallelBoard ? this.board.threads : 1;
  }

  get workersReady(): boolean {
    return this.ready !== null || this.board instanceof ParallelBoard;
  }

  /** The lowered program of a module (compiled and lowered once, for this board's core). */
  program(m: DeviceModule): LoweredModule {
    let l = this.lowered.get(m);
    if (!l) {
      l = lower(compile(m.module).module, { core: this.system.core, variables: m.variables });
      this.lowered.set(m, l);
    }
    return l;
  }

  async run(m: DeviceModule, inputs: ReplicaInputs, options: { readonly profile?: boolean } = {}): Promise<DeviceRun> {
    if (inputs.length !== this.replicas) throw new RangeError(`a run needs inputs for ${this.replicas} replicas, got ${inputs.length}`);
    const l = this.program(m);
    await this.switchBoard();
    const started = performance.now();
    const board = this.board;
    if (this.loaded !== l) {
      await board.load(l.program, l.initial);
      this.loaded = l;
    }
    for (const name of m.variables.values()) {
      const value = this.staged.get(name);
      if (value) {
        await board.writeAll(name, value);
        this.staged.delete(name);
      }
      this.onDevice.add(name);
    }
    const aliased = new Set((m.module.aliases ?? []).map((a) => a.output));
    const outs = l.outputs.map((_, i) => i).filter((i) => !aliased.has(i));
    const writes = inputs.flatMap((byParam, core) => [...byParam].map(([p, data]) => [core, l.params[p]!, data] as const));
    const r = await board.run({ writes, reads: outs.map((o) => l.outputs[o]!), profile: options.profile ?? false });
    this.noteRun((performance.now() - started) / 1000);
    return {
      outputs: r.reads.map((values) => new Map(outs.map((o, j) => [o, values[j]!]))),
      deviceSeconds: r.seconds,
      ...(r.profiles[0] ? { profile: r.profiles[0] } : {}),
    };
  }

  setVariable(name: string, value: Float32Array): void {
    this.staged.set(name, value.slice());
  }

  async getVariable(name: string, replica = 0): Promise<Float32Array | undefined> {
    const staged = this.staged.get(name);
    if (staged) return staged.slice();
    if (!this.onDevice.has(name)) return undefined;
    return this.board.read(replica, name);
  }

  async dropVariables(): Promise<void> {
    this.staged.clear();
    this.onDevice.clear();
    this.loaded = null;
    await this.board.dropVariables();
  }

  /** Brings the variables back to the calling thread and stops the worker threads (a later run may start them again). */
  async stopThreads(): Promise<void> {
    const starting = this.starting;
    [this.starting, this.ready] = [null, null];
    if (this.board instanceof ParallelBoard) {
      const parallel = this.board;
      for (const name of this.onDevice) if (!this.staged.has(name)) this.staged.set(name, await parallel.read(0, name));
      this.board = new Board(this.system);
      this.loaded = null;
      await parallel.close();
    } else if (starting) await starting.then((p) => p.close(), () => undefined);
  }

  async close(): Promise<void> {
    await this.stopThreads();
  }

  /** With threads 'auto': a long run on this thread starts the workers (see the module doc). */
  private noteRun(hostSeconds: number): void {
    const o = this.options;
    if (o.threads !== 'auto' || this.starting || this.replicas < 2 || hostSeconds < (o.autoThreadsSeconds ?? AUTO_THREADS_SECONDS)) return;
    const threads = Math.min(this.replicas, o.spareThreads?.() ?? 1);
    if (threads >= 2) this.startWorkers(threads);
  }

  private startWorkers(threads: number): void {
    this.starting = ParallelBoard.create(this.system, Math.min(threads, this.replicas)).then((p) => (this.ready = p));
    this.starting.catch(() => undefined); // reported where it is awaited
  }

  /** Moves to the worker threads once they are up (a fixed thread count starts them, and waits). */
  private async switchBoard(): Promise<void> {
    const fixed = typeof this.options.threads === 'number' && this.options.threads > 1 && this.replicas > 1;
    if (fixed && !this.starting && !(this.board instanceof ParallelBoard)) this.startWorkers(this.options.threads as number);
    if (this.board instanceof ParallelBoard || !this.starting) return;
    if (this.options.threads === 'auto' && !this.ready) {
      // NOTE: runs here are synchronous work between microtasks: give the workers' "ready"
      // messages an event-loop turn, or they would wait until the runs stop.
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.ready) return;
    }
    const parallel = await this.starting;
    for (const name of this.onDevice) if (!this.staged.has(name)) this.staged.set(name, this.board.read(0, name));
    this.board = parallel;
    this.loaded = null;
  }
}
