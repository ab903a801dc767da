/**
 * @module cli/compile
 * `tpusim compile <preset | example | file.hlo>`: runs the compiler's standard passes and prints a
 * short report: the memory the lowered program holds, the predicted cycles per op and per step;
 * with --simulate, the cycles the lowered program takes on the simulated TensorCore, per HLO op
 * and per step, and with --html / --svg the same run drawn as a timeline (./timeline-files.ts).
 * With --dump or --dump-after also the HLO before and after (and after any pass asked for, or
 * the lowering plan) and the pass log.
 * A program that cannot fit a core's HBM is refused before it is lowered (a bound from its
 * shapes), and with --simulate before it runs (the lowering's own figure).
 * Imports xla, layers (presets and their training step), ./limits and node:fs.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_CORE_CONFIG } from '../tpu/index.ts';
import { EXAMPLES, HloParseError, PASS_NAMES, compile, estimate, hbmLowerBound, kernelBudgetValues, lower, parse, planLowering, print, printPlan, runLowered, type Estimate, type HloModule, type HloOpProfile, type LoweredModule, type PassRecord, type ProgramMemory } from '../xla/index.ts';
import { LOSSES, PRESET_NAMES, adam } from '../layers/index.ts';
// NOTE: compileTrainStep is not on layers' public surface yet; the CLI reaches in for it.
import { compileTrainStep } from '../layers/step.ts';
import { UsageError, parsePositiveInt } from './errors.ts';
import { checkTimelineOutputs, writeTimelines, type TimelineOutputs } from './timeline-files.ts';
import { CORE_HBM, checkFits, formatBytes, hostMemory, presetWithin } from './limits.ts';
import { emit } from './output.ts';

interface CompileOptions {
  batch: string;
  imageSize: string;
  dump?: boolean;
  dumpAfter?: string;
  disable?: string;
  top: string;
  simulate?: boolean;
  json?: boolean;
  html?: string;
  svg?: string;
}

/** What the simulated TensorCore measured running the lowered program (timing only). */
export interface SimulatedRun {
  readonly instructions: number;
  readonly totalCycles: number;
  readonly microseconds: number;
  readonly busyCycles: { readonly mxu: number; readonly vpu: number; readonly dma: number; readonly ici: number };
  readonly dmaBytes: number;
  readonly bound: string;
  readonly byOp: readonly HloOpProfile[];
}

/** The report of one compile. */
export interface CompileReport {
  readonly input: string;
  readonly before: string;
  readonly dumps: readonly { pass: string; hlo: string }[];
  readonly after: string;
  readonly passes: readonly PassRecord[];
  readonly instructionsBefore: number;
  readonly instructionsAfter: number;
  /** Memory the lowered program holds per core (the lowering plans it). */
  readonly memory: ProgramMemory;
  readonly estimate: Estimate;
  readonly simulated: SimulatedRun | null;
  readonly top: number;
}

/** The lowered program, if the simulated core's HBM and the host hold what it keeps in HBM. */
function checkSimulable(l: LoweredModule): LoweredModule {
  const h = l.memory.hbm;
  const madeOf = `parameters ${formatBytes(h.parameters)}, variables ${formatBytes(h.variables)}, constants ${formatBytes(h.constants)}, scratch ${formatBytes(h.scratch)}`;
  checkFits('--simulate: the lowered program', h.total, CORE_HBM, madeOf);
  checkFits('--simulate: the lowered program', h.total, hostMemory(), madeOf);
  return l;
}

function simulate(l: LoweredModule, input: string, timelines: TimelineOutputs): SimulatedRun {
  const zeros = l.params.map((p) => new Float32Array(l.program.buffers.find((b) => b.name === p)!.values));
  const r = runLowered(l, zeros, { execute: false });
  writeTimelines(timelines, { title: input, records: r.profile.ops, owners: l.owners, totalCycles: r.profile.totalCycles, clockHz: r.profile.clockHz, bound: r.profile.bound });
  const u = r.profile.units;
  return {
    instructions: l.program.instructions.length,
    totalCycles: r.profile.totalCycles,
    microseconds: r.profile.seconds * 1e6,
    busyCycles: { mxu: u.mxu.busyCycles, vpu: u.vpu.busyCycles, dma: u.dma.busyCycles, ici: u.ici.busyCycles },
    dmaBytes: r.profile.ops.reduce((a, o) => a + o.bytes, 0),
    bound: r.profile.bound,
    byOp: [...r.byOp].sort((a, b) => b.busyCycles - a.busyCycles),
  };
}

/** The training step of a layers preset on one core (Adam, sparse labels: forward, gradients, update). */
function presetStep(name: string, batch: number, imageSize: number): HloModule {
  // the step's parameters hold the weights and Adam's two slots in the core's HBM; the host holds the weights
  const model = presetWithin(name, { imageSize }, [
    { limit: CORE_HBM, copies: 3, madeOf: "the weights and Adam's two slots, parameters of the training step" },
    { limit: hostMemory(), copies: 1, madeOf: 'f32 weights' },
  ]);
  return compileTrainStep({ model, loss: LOSSES.sparseCategoricalCrossentropy, optimizer: adam(), precision: 'default', batch, replicas: 1 }).module;
}

function load(input: string, batch: number, imageSize: number): HloModule {
  if (input in EXAMPLES) return EXAMPLES[input as keyof typeof EXAMPLES]({ batch, imageSize });
  if ((PRESET_NAMES as readonly string[]).includes(input)) return presetStep(input, batch, imageSize);
  const info = statSync(input, { throwIfNoEntry: false });
  if (!info) throw new UsageError(`'${input}' is neither a file, a model preset (${PRESET_NAMES.join(', ')}) nor a built-in example (${Object.keys(EXAMPLES).join(', ')})`);
  if (!info.isFile()) throw new UsageError(`'${input}' is ${info.isDirectory() ? 'a folder' : 'not a regular file'}, not an .hlo file`);
  checkFits(`the HLO file '${input}'`, 2 * info.size, hostMemory(), 'its text twice');
  let text: string;
  try {
    text = readFileSync(input, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read '${input}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof HloParseError) throw new UsageError(`${input}: ${err.message}`);
    throw err;
  }
}

/**
 * Refuses, before the lowering runs, a module whose lowering cannot fit a core's HBM: the
 * bound counts what is in HBM before the run and the largest value written (xla/hbm-bound.ts).
 */
function checkLowerable(input: string, m: HloModule): void {
  const b = hbmLowerBound(m);
  const largest = b.largest ? `, plus its largest value ${b.largest.name ?? `%${b.largest.id}`} ${b.largest.op} [${b.largest.shape.dims.join(', ')}] ${formatBytes(b.largestBytes)}` : '';
  checkFits(`compiling ${input}: the program`, b.bytes, CORE_HBM, `at least: parameters and constants ${formatBytes(b.residentBytes)}${largest}`);
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MiB`;

/**
 * Text rendering of a compile report: by default the short one (instruction counts, memory,
 * the top ops and the totals); `full` (--dump, --dump-after) adds the whole HLO before and
 * after the passes, the asked-for dumps and the pass log in front.
 */
export function renderCompile(r: CompileReport, full = true): string {
  const e = r.estimate;
  const lines: string[] = [];
  if (full) {
    lines.push(`=== HLO before passes (${r.instructionsBefore} instructions) ===`, r.before.trimEnd());
    for (const d of r.dumps) lines.push(`=== after ${d.pass} ===`, d.hlo.trimEnd());
    lines.push(`=== HLO after passes (${r.instructionsAfter} instructions) ===`, r.after.trimEnd(), '', 'pass          changed  instructions      ms');
    for (const p of r.passes) lines.push(`${p.pass.padEnd(13)} ${String(p.changed).padEnd(8)} ${String(p.instructions).padStart(12)} ${p.ms.toFixed(2).padStart(7)}`);
    lines.push('');
  } else {
    lines.push(`${r.input}: ${r.instructionsBefore} HLO instructions before the passes, ${r.instructionsAfter} after (--dump prints them and the pass log)`);
  }
  const h = r.memory.hbm;
  lines.push(`memory per core (the lowered program): HBM ${mib(h.total)} (parameters ${mib(h.parameters)}, variables ${mib(h.variables)}, constants ${mib(h.constants)}, scratch ${mib(h.scratch)}), vector memory ${mib(r.memory.vmem)}`);
  const top = [...e.ops].sort((a, b) => b.cycles - a.cycles).slice(0, r.top);
  lines.push('', `predicted cycles per op (top ${top.length} of ${e.ops.length})`, 'op            unit       cycles   HBM bytes  name  source');
  for (const o of top) lines.push(`${o.op.padEnd(13)} ${o.unit.padEnd(5)} ${String(o.cycles).padStart(11)} ${String(o.hbmBytes).padStart(11)}  ${o.name}  ${o.source ?? ''}`);
  const u = e.cyclesByUnit;
  lines.push(
    '',
    `per step: ${e.cycles} cycles = ${(e.seconds * 1e6).toFixed(1)} us sequential (busiest unit ${e.overlappedCycles} if units overlap); HBM traffic ${mib(e.hbmBytes)}`,
    `by unit: mxu ${u.mxu}, vpu ${u.vpu}, dma ${u.dma}, ici ${u.ici}`,
  );
  const sim = r.simulated;
  if (sim) {
    lines.push(
      '',
      `simulated on a TensorCore: ${sim.instructions} program instructions, ${sim.totalCycles} cycles = ${sim.microseconds.toFixed(1)} us (${sim.bound}-bound); DMA ${mib(sim.dmaBytes)}`,
      `busy cycles: mxu ${sim.busyCycles.mxu}, vpu ${sim.busyCycles.vpu}, dma ${sim.busyCycles.dma}, ici ${sim.busyCycles.ici}`,
      `simulated busy cycles per HLO op (top ${Math.min(r.top, sim.byOp.length)} of ${sim.byOp.length})`,
      ...sim.byOp.slice(0, r.top).map((o) => `${String(o.busyCycles).padStart(11)} ${String(o.instructions).padStart(5)} instr  ${o.owner}`),
    );
  }
  return lines.join('\n');
}

/** Adds the `compile` command to the program. */
export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile a model preset\'s training step, an HLO file or a built-in example, and predict its cost')
    .argument('<input>', `a model preset (${PRESET_NAMES.join(', ')}: its gradient step), an .hlo file, or an example: ${Object.keys(EXAMPLES).join(', ')}`)
    .option('--batch <n>', 'batch size of a built-in example', '8')
    .option('--image-size <s>', 'image height = width of a built-in example', '32')
    .option('--dump', 'print the whole HLO before and after the passes, and the pass log (the default report is short)')
    .option('--dump-after <pass>', `print the HLO after this pass, 'lowering-plan' (each instruction's lowering and why), or 'all' (${PASS_NAMES.join(', ')}, lowering-plan)`)
    .option('--disable <passes>', 'comma-separated passes to skip')
    .option('--top <n>', 'ops to list by predicted cycles', '15')
    .option('--simulate', 'also lower to a TensorCore program and run it on the simulated core (timing only)')
    .option('--json', 'print JSON')
    .option('--html <file>', 'with --simulate: write the simulated step as a timeline page (MXU, VPU, DMA, ICI lanes; hover a bar for its HLO op)')
    .option('--svg <file>', 'with --simulate: write the same timeline as an SVG')
    .action((input: string, opts: CompileOptions) => {
      const timelines = checkTimelineOutputs(opts);
      const m = load(input, parsePositiveInt(opts.batch, '--batch'), parsePositiveInt(opts.imageSize, '--image-size'));
      const dumpAfter = opts.dumpAfter;
      if (dumpAfter !== undefined && dumpAfter !== 'all' && dumpAfter !== 'lowering-plan' && !PASS_NAMES.includes(dumpAfter)) throw new UsageError(`--dump-after must be 'all', 'lowering-plan' or one of ${PASS_NAMES.join(', ')}; got '${dumpAfter}'`);
      const disable = opts.disable ? opts.disable.split(',').map((s) => s.trim()) : [];
      for (const d of disable) if (!PASS_NAMES.includes(d)) throw new UsageError(`--disable: unknown pass '${d}' (${PASS_NAMES.join(', ')})`);
      const dumps: { pass: string; hlo: string }[] = [];
      const result = compile(m, {
        disable,
        after: (pass, module) => {
          if (dumpAfter === 'all' || dumpAfter === pass) dumps.push({ pass, hlo: print(module) });
        },
      });
      checkLowerable(input, result.module);
      const plan = planLowering(result.module, { budget: kernelBudgetValues(DEFAULT_CORE_CONFIG), core: DEFAULT_CORE_CONFIG });
      if (dumpAfter === 'all' || dumpAfter === 'lowering-plan') dumps.push({ pass: 'lowering-plan', hlo: printPlan(result.module, plan) });
      const lowered = lower(result.module, { plan });
      const report: CompileReport = {
        input,
        before: print(m),
        dumps,
        after: print(result.module),
        passes: result.log,
        instructionsBefore: m.entry.instructions.length,
        instructionsAfter: result.module.entry.instructions.length,
        memory: lowered.memory,
        estimate: estimate(result.module),
        simulated: opts.simulate ? simulate(checkSimulable(lowered), input, timelines) : null,
        top: parsePositiveInt(opts.top, '--top'),
      };
      emit(report, opts.json, (r) => renderCompile(r, opts.dump === true || dumpAfter !== undefined));
      if (!opts.json) for (const file of [timelines.html, timelines.svg]) if (file !== undefined) process.stdout.write(`timeline: wrote ${file}\n`);
    });
}
