/**
 * @module tpu/config
 * Configuration of a TensorCore, a chip, a board and a pod, with TPU-v2 defaults and named
 * presets (v2-8 ... v2-512), and the peak numbers derived from them. Every field typed, with a
 * unit, a default and a one-line doc. Imports mxu/config and vpu/config.
 *
 * Sources for the defaults: Google Cloud's TPU v2 documentation and Norrie et al., "The
 * Design Process for Google's Training Chips: TPUv2 and TPUv3" (IEEE Micro, 2021): one
 * 128 x 128 MXU per core at 700 MHz, 2 cores and 16 GiB HBM per chip (8 GiB per core),
 * 16 MiB vector memory per core, 4 chips per board (v2-8), pods of 16 x 16 chips in a 2-D
 * torus (v2-512), 4 inter-chip links of 496 Gbit/s each (62 GB/s one way).
 */
import { DEFAULT_MXU_CONFIG, mxuConfig, type MxuConfig } from '../mxu/config.ts';
import { DEFAULT_VPU_CONFIG, vpuConfig, type VpuConfig } from '../vpu/config.ts';

/** Configuration of one TensorCore. */
export interface TensorCoreConfig {
  /** The matrix unit; its clock is the core's clock. */
  readonly mxu: MxuConfig;
  /** The vector unit. */
  readonly vpu: VpuConfig;
  /** Vector memory (on-chip SRAM the MXU and VPU read and write) (bytes). Default 16 MiB. */
  readonly vmemBytes: number;
  /** High-bandwidth memory per core (bytes). Default 8 GiB. */
  readonly hbmBytes: number;
  /** HBM bandwidth per core (bytes/s). Default 350e9 (about 700 GB/s per chip). */
  readonly hbmBytesPerSecond: number;
  /** Fixed cost of issuing one DMA: descriptor setup and first-byte latency (cycles). Default 100. */
  readonly dmaLatencyCycles: number;
}

/** One direction of one inter-core link. */
export interface LinkConfig {
  /** Bandwidth one way (bytes/s). Default 62e9 (496 Gbit/s). */
  readonly bytesPerSecond: number;
  /** Latency per hop (s). Default 1e-6. */
  readonly latencySeconds: number;
}

/**
 * How cores are connected. `ring`: all cores in one ring (a board: the ring threads through
 * both cores of every chip). `torus`: x by y chips, cores laid out as an (x * coresPerChip)
 * by y 2-D torus (a pod).
 */
export type Topology =
  | { readonly kind: 'ring'; readonly cores: number }
  | { readonly kind: 'torus'; readonly x: number; readonly y: number };

/** A whole system: cores, how they are grouped into chips, and how they are linked. */
export interface SystemConfig {
  /** Preset name, e.g. 'v2-8'. */
  readonly name: string;
  /** Every core's configuration (all cores are identical). */
  readonly core: TensorCoreConfig;
  /** Cores per chip. Default 2. */
  readonly coresPerChip: number;
  /** The interconnect. */
  readonly topology: Topology;
  /** Every link's bandwidth and latency. */
  readonly link: LinkConfig;
  /** All-reduce uses both directions of every link (see tpu/collectives). Default false. */
  readonly bidirectionalRings?: boolean;
}

/** TPU v2 TensorCore defaults. */
export const DEFAULT_CORE_CONFIG: TensorCoreConfig = {
  mxu: DEFAULT_MXU_CONFIG,
  vpu: DEFAULT_VPU_CONFIG,
  vmemBytes: 16 * 2 ** 20,
  hbmBytes: 8 * 2 ** 30,
  hbmBytesPerSecond: 350e9,
  dmaLatencyCycles: 100,
};

/** TPU v2 inter-chip link defaults. */
export const DEFAULT_LINK_CONFIG: LinkConfig = { bytesPerSecond: 62e9, latencySeconds: 1e-6 };

/** A config error that names the field; printed as one line by the CLI. */
export class TpuConfigError extends Error {
  override readonly name = 'TpuConfigError';
  readonly userFacing = true;
}

function positive(value: number, what: string): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new TpuConfigError(`${what} must be a positive number, got ${value}`);
}

/** A complete, validated core config from defaults plus overrides. */
export function coreConfig(overrides: Partial<TensorCoreConfig> = {}): TensorCoreConfig {
  const c = { ...DEFAULT_CORE_CONFIG, ...overrides };
  const config = { ...c, mxu: mxuConfig(c.mxu), vpu: vpuConfig(c.vpu) };
  for (const f of ['vmemBytes', 'hbmBytes', 'hbmBytesPerSecond'] as const) positive(config[f], `core ${f}`);
  if (!Number.isSafeInteger(config.dmaLatencyCycles) || config.dmaLatencyCycles < 0) {
    throw new TpuConfigError(`core dmaLatencyCycles must be a non-negative integer, got ${config.dmaLatencyCycles}`);
  }
  return config;
}

/** Number of cores in a topology. */
export function topologyCores(topology: Topology, coresPerChip: number): number {
  return topology.kind === 'ring' ? topology.cores : topology.x * topology.y * coresPerChip;
}

/** Validates a topology: a ring of 1+ cores; a torus of 1..16 by 1..16 chips (a v2 pod at most). */
export function checkTopology(topology: Topology): void {
  if (topology.kind === 'ring') {
    if (!Number.isSafeInteger(topology.cores) || topology.cores < 1 || topology.cores > 512) {
      throw new TpuConfigError(`ring cores must be an integer in 1..512, got ${topology.cores}`);
    }
    return;
  }
  for (const d of ['x', 'y'] as const) {
    const v = topology[d];
    if (!Number.isSafeInteger(v) || v < 1 || v > 16) throw new TpuConfigError(`torus ${d} must be an integer in 1..16 chips, got ${v}`);
  }
}

/**
 * Parses 'ring' (with a core count) or 'torus:XxY' (chips).
 * @example parseTopology('torus:4x4', 8) // { kind: 'torus', x: 4, y: 4 }
 */
export function parseTopology(text: string, ringCores: number): Topology {
  if (text === 'ring') return { kind: 'ring', cores: ringCores };
  const m = /^torus:(\d+)x(\d+)$/.exec(text);
  if (!m) throw new TpuConfigError(`topology must be 'ring' or 'torus:XxY' (chips), got '${text}'`);
  const topology: Topology = { kind: 'torus', x: Number(m[1]), y: Number(m[2]) };
  checkTopology(topology);
  return topology;
}

/** Named systems: a v2-8 board and pod slices up to the full v2-512 pod. */
export const PRESETS: { readonly [name: string]: SystemConfig } = {
  'v2-8': { name: 'v2-8', core: DEFAULT_CORE_CONFIG, coresPerChip: 2, topology: { kind: 'ring', cores: 8 }, link: DEFAULT_LINK_CONFIG },
  'v2-32': { name: 'v2-32', core: DEFAULT_CORE_CONFIG, coresPerChip: 2, topology: { kind: 'torus', x: 4, y: 4 }, link: DEFAULT_LINK_CONFIG },
  'v2-128': { name: 'v2-128', core: DEFAULT_CORE_CONFIG, coresPerChip: 2, topology: { kind: 'torus', x: 8, y: 8 }, link: DEFAULT_LINK_CONFIG },
  'v2-512': { name: 'v2-512', core: DEFAULT_CORE_CONFIG, coresPerChip: 2, topology: { kind: 'torus', x: 16, y: 16 }, link: DEFAULT_LINK_CONFIG },
};

/** A preset by name, or an error listing the valid names. */
export function systemPreset(name: string): SystemConfig {
  const preset = PRESETS[name];
  if (!preset) throw new TpuConfigError(`unknown config '${name}'; valid: ${Object.keys(PRESETS).join(', ')}`);
  return preset;
}

/** Peak bf16 matmul throughput of one core: rows x cols MACs x 2 flops x clock (flop/s). */
export function peakFlopsPerSecond(core: TensorCoreConfig): number {
  return core.mxu.rows * core.mxu.cols * 2 * core.mxu.clockHz;
}

/** Peak figures of a whole system. */
export interface SystemPeaks {
  readonly cores: number;
  readonly chips: number;
  readonly clockHz: number;
  readonly flopsPerSecondPerCore: number;
  readonly flopsPerSecondPerChip: number;
  readonly flopsPerSecond: number;
  readonly hbmBytes: number;
  readonly hbmBytesPerSecond: number;
  /** Flops per HBM byte above which a core is compute-bound (the roofline ridge). */
  readonly ridgeFlopsPerByte: number;
  readonly vmemBytes: number;
}

/** Peaks of a system. */
export function systemPeaks(system: SystemConfig): SystemPeaks {
  const cores = topologyCores(system.topology, system.coresPerChip);
  const perCore = peakFlopsPerSecond(system.core);
  return {
    cores,
    chips: Math.ceil(cores / system.coresPerChip),
    clockHz: system.core.mxu.clockHz,
    flopsPerSecondPerCore: perCore,
    flopsPerSecondPerChip: perCore * system.coresPerChip,
    flopsPerSecond: perCore * cores,
    hbmBytes: system.core.hbmBytes * cores,
    hbmBytesPerSecond: system.core.hbmBytesPerSecond * cores,
    ridgeFlopsPerByte: perCore / system.core.hbmBytesPerSecond,
    vmemBytes: system.core.vmemBytes * cores,
  };
}
