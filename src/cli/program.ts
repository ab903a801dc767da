/**
 * @module cli/program
 * The `tpusim` program: every subcommand (one file each in this folder) registered
 * explicitly, and the global options. Building it runs nothing; ./run.ts parses and runs it.
 */
import { Command } from 'commander';
import { registerAllReduce } from './allreduce.ts';
import { registerCompile } from './compile.ts';
import { registerDevice } from './device.ts';
import { registerEvaluate } from './evaluate.ts';
import { registerFlowers } from './flowers.ts';
import { registerImport } from './import.ts';
import { registerLayers } from './layers.ts';
import { registerMatmul } from './matmul.ts';
import { registerNumerics } from './numerics.ts';
import { registerPredict } from './predict.ts';
import { registerRecords } from './records.ts';
import { registerSummary } from './summary.ts';
import { registerSystolic } from './systolic.ts';
import { registerTrain } from './train.ts';
import { registerViz } from './viz.ts';

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('tpusim')
    .description(
      'a TPU you can read and run: cycle-level TPU-v2 simulator, XLA-like compiler, Keras-style runtime\n\n' +
        'Bad input ends with one line and exit code 2; an internal error with one line and exit code 1 (--debug prints the stack). ' +
        "Work that would need more memory than the host limit (half the RAM, at most 8 GiB; TPUSIM_MAX_MEMORY=16GiB sets another), WASM's 4 GiB or a simulated core's HBM is refused before it starts, with the estimate and the limit. " +
        'Seeds are positive integers in every command.',
    )
    .version('0.1.0')
    .option('--debug', 'print the stack trace of any error (after its one line)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerNumerics(program);
  registerCompile(program);
  registerSummary(program);
  registerTrain(program);
  registerEvaluate(program);
  registerPredict(program);
  registerImport(program);
  registerRecords(program);
  registerFlowers(program);
  registerMatmul(program);
  registerSystolic(program);
  registerDevice(program);
  registerAllReduce(program);
  registerLayers(program);
  registerViz(program);
  return program;
}
