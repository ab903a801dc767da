/**
 * @module runtime/engines
 * The two engines a model can train on: `tpuEngine()` (the default: lowered programs on the
 * simulated TensorCores of a board, every FLOP on the simulated MXU or VPU, time = simulated
 * cycles / clock) and `interpreterEngine()` (the reference interpreter, same numerics
 * contract, time from the cost model: the oracle in tests). Imports ./tpu-device,
 * ./interpreter-device, tpu (configs), ./device (types).
 */
import { DEFAULT_CORE_CONFIG, type SystemConfig, type TensorCoreConfig } from '../tpu/index.ts';
import type { Engine } from './device.ts';
import { InterpreterDevice } from './interpreter-device.ts';
import { TpuDevice, ringSystem } from './tpu-device.ts';

/**
 * The simulated TPU. `core` sets every core's configuration (default TPU v2); the cores form
 * a ring of as many cores as the strategy has replicas.
 * @example model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', engine: tpuEngine() })
 */
export function tpuEngine(options: { readonly core?: TensorCoreConfig } = {}): Engine {
  return {
    name: 'tpu',
    device: (o) => {
      const system: SystemConfig = ringSystem(o.replicas);
      return new TpuDevice({ ...o, system: options.core ? { ...system, core: options.core } : system });
    },
  };
}

/** The reference interpreter (same numerics, predicted time). */
export function interpreterEngine(options: { readonly core?: TensorCoreConfig } = {}): Engine {
  return { name: 'interpreter', device: (o) => new InterpreterDevice({ ...o, core: options.core ?? DEFAULT_CORE_CONFIG }) };
}
