/**
 * @module runtime
 * Public surface of the training runtime: where compiled steps run (devices: the simulated
 * TPU board, the reference interpreter), with device-resident variables and host threads.
 * Keras concepts live in ../layers; HLO in ../xla; the simulated machine in ../tpu.
 */
export type { Device, DeviceModule, DeviceOptions, DeviceRun, Engine, ReplicaInputs } from './device.ts';
export { AUTO_THREADS_SECONDS, TpuDevice, ringSystem } from './tpu-device.ts';
export { InterpreterDevice, predictedSeconds } from './interpreter-device.ts';
export { interpreterEngine, tpuEngine } from './engines.ts';
