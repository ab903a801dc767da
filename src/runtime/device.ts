/**
 * @module runtime/device
 * Where compiled steps run: a `Device` holds the replicas of a data-parallel run (the cores
 * of a simulated board, or the reference interpreter's replicas), their device variables
 * (weights, optimizer slots: they stay on the device from step to step), and runs one SPMD
 * module on every replica at a time. Only per-step inputs go in (a batch shard per replica,
 * scalars) and only the outputs that are not aliased onto variables come out.
 *
 * Imports xla (module type), tpu (profile type). Implementations: ./tpu-device.ts (the
 * simulated TensorCores, the default) and ./interpreter-device.ts (the oracle).
 */
import type { Profile } from '../tpu/index.ts';
import type { HloModule } from '../xla/index.ts';

/** A module to run, and which of its parameters are device variables. */
export interface DeviceModule {
  readonly module: HloModule;
  /** Parameter index -> variable name. Variables not yet on the device start at zeros. */
  readonly variables: ReadonlyMap<number, string>;
}

/** One run's inputs: per replica, the values of the parameters that are not variables. */
export type ReplicaInputs = readonly ReadonlyMap<number, Float32Array>[];

/** One run's result. */
export interface DeviceRun {
  /** Per replica, the outputs that are not aliased onto variables, by output index. */
  readonly outputs: readonly ReadonlyMap<number, Float32Array>[];
  /** Device time of the run (s): simulated on a board, predicted by the cost model in the interpreter. */
  readonly deviceSeconds: number;
  /** Replica 0's per-instruction profile, when asked for (simulated devices only). */
  readonly profile?: Profile;
}

/** A data-parallel device. */
export interface Device {
  /** 'tpu' or 'interpreter'. */
  readonly name: string;
  readonly replicas: number;
  /** Host threads simulating the replicas now. */
  readonly threads: number;
  /** Worker threads have started and will take over at the next run. */
  readonly workersReady: boolean;
  /** Runs `m` on every replica with its inputs. */
  run(m: DeviceModule, inputs: ReplicaInputs, options?: { readonly profile?: boolean }): Promise<DeviceRun>;
  /** Sets a variable to `value` on every replica (staged until a module that names it runs). */
  setVariable(name: string, value: Float32Array): void;
  /** A copy of a variable's value on one replica (default 0), or undefined when the device has none. */
  getVariable(name: string, replica?: number): Promise<Float32Array | undefined>;
  /** Forgets every variable (the next run starts them from the staged values or zeros). */
  dropVariables(): Promise<void>;
  /** Brings the variables back to the calling thread and stops any worker threads (a later run may start them again). */
  stopThreads(): Promise<void>;
  /** Stops any host threads. */
  close(): Promise<void>;
}

/** How a device simulates its replicas on the host. */
export interface DeviceOptions {
  readonly replicas: number;
  /**
   * Host threads: 1 runs every replica on the calling thread; N starts N worker threads (at
   * most one per replica); 'auto' stays on the calling thread until a run takes
   * `autoThreadsSeconds` and then moves to one worker per idle CPU (`spareThreads`).
   */
  readonly threads: number | 'auto';
  readonly autoThreadsSeconds?: number;
  readonly spareThreads?: () => number;
}

/** Makes devices: the simulated TPU or the reference interpreter. */
export interface Engine {
  readonly name: string;
  device(options: DeviceOptions): Device;
}
