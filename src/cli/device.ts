/**
 * @module cli/device
 * `tpusim device`: a system's configuration and peak numbers (TPU v2 presets).
 */
import type { Command } from 'commander';
import { PRESETS, systemPeaks, systemPreset, type SystemConfig, type SystemPeaks, type Topology } from '../tpu/index.ts';
import { parseChoice } from './errors.ts';
import { emit } from './output.ts';

/** What `tpusim device` reports. */
export interface DeviceReport {
  readonly config: string;
  readonly topology: string;
  readonly coresPerChip: number;
  readonly mxu: { readonly rows: number; readonly cols: number; readonly clockHz: number };
  readonly vpu: { readonly sublanes: number; readonly lanes: number; readonly registers: number };
  readonly perCore: { readonly vmemBytes: number; readonly hbmBytes: number; readonly hbmBytesPerSecond: number };
  readonly link: { readonly bytesPerSecond: number; readonly latencySeconds: number };
  readonly peaks: SystemPeaks;
}

const topologyText = (t: Topology): string => (t.kind === 'ring' ? `ring of ${t.cores} cores` : `2-D torus of ${t.x} x ${t.y} chips`);

/** The report for one system. */
export function deviceReport(system: SystemConfig): DeviceReport {
  const { core } = system;
  return {
    config: system.name,
    topology: topologyText(system.topology),
    coresPerChip: system.coresPerChip,
    mxu: { rows: core.mxu.rows, cols: core.mxu.cols, clockHz: core.mxu.clockHz },
    vpu: { sublanes: core.vpu.sublanes, lanes: core.vpu.lanes, registers: core.vpu.registers },
    perCore: { vmemBytes: core.vmemBytes, hbmBytes: core.hbmBytes, hbmBytesPerSecond: core.hbmBytesPerSecond },
    link: system.link,
    peaks: systemPeaks(system),
  };
}

/** Text rendering of a device report. */
export function renderDevice(r: DeviceReport): string {
  const p = r.peaks;
  return [
    `config        ${r.config}: ${p.cores} cores on ${p.chips} chips (${r.coresPerChip} per chip), ${r.topology}`,
    `clock         ${r.mxu.clockHz / 1e6} MHz`,
    `MXU           ${r.mxu.rows} x ${r.mxu.cols} bf16 multiply, f32 accumulate, one per core`,
    `VPU           ${r.vpu.registers} vregs of ${r.vpu.sublanes} x ${r.vpu.lanes} f32`,
    `vector memory ${r.perCore.vmemBytes / 2 ** 20} MiB per core`,
    `HBM           ${r.perCore.hbmBytes / 2 ** 30} GiB per core at ${r.perCore.hbmBytesPerSecond / 1e9} GB/s`,
    `links         ${r.link.bytesPerSecond / 1e9} GB/s one way, ${r.link.latencySeconds * 1e6} us per hop`,
    `peak          ${(p.flopsPerSecondPerCore / 1e12).toFixed(1)} TFLOP/s per core, ${(p.flopsPerSecondPerChip / 1e12).toFixed(1)} per chip, ${(p.flopsPerSecond / 1e12).toFixed(1)} total (bf16)`,
    `ridge         ${p.ridgeFlopsPerByte.toFixed(1)} flops per HBM byte (compute-bound above, memory-bound below)`,
  ].join('\n');
}

/** Adds the `device` command to the program. */
export function registerDevice(program: Command): void {
  program
    .command('device')
    .description('print a TPU system configuration and its peaks')
    .option('--config <name>', `preset: ${Object.keys(PRESETS).join(' | ')}`, 'v2-8')
    .option('--json', 'print JSON')
    .action((opts: { config: string; json?: boolean }) => {
      const name = parseChoice(opts.config, '--config', Object.keys(PRESETS));
      emit(deviceReport(systemPreset(name)), opts.json, renderDevice);
    });
}
