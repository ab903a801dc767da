/**
 * @module tpu/dma
 * The DMA engine's cost: a fixed issue latency plus bytes at the HBM bandwidth, in core
 * cycles. Imports ./config and ./memory. The copy itself is done by the executor.
 *
 * Model: cycles = dmaLatencyCycles + ceil(bytes / (hbmBytesPerSecond / clockHz)). With the
 * v2 defaults, 350e9 B/s at 700 MHz is 500 bytes per cycle, so a 4 MiB transfer takes
 * 100 + 8389 cycles. One DMA engine per core: transfers are serialized on it, and overlap
 * with the MXU and VPU when dependencies allow.
 */
import type { TensorCoreConfig } from './config.ts';
import { BYTES_PER_VALUE } from './memory.ts';

/** HBM bytes moved per core cycle. */
export function dmaBytesPerCycle(core: TensorCoreConfig): number {
  return core.hbmBytesPerSecond / core.mxu.clockHz;
}

/** Cycles of a DMA of `values` f32 values. */
export function dmaCycles(values: number, core: TensorCoreConfig): number {
  return core.dmaLatencyCycles + Math.ceil((values * BYTES_PER_VALUE) / dmaBytesPerCycle(core));
}
