/**
 * @module cli/main
 * The `tpusim` command: one subcommand per file in this folder, registered explicitly here.
 * User mistakes print one line and exit 2; see ./errors.ts.
 */
import { Command, CommanderError } from 'commander';
import { registerAllReduce } from './allreduce.ts';
import { registerCompile } from './compile.ts';
import { registerDevice } from './device.ts';
import { registerEvaluate } from './evaluate.ts';
import { isUserFacing } from './errors.ts';
import { registerMatmul } from './matmul.ts';
import { registerNumerics } from './numerics.ts';
import { registerPredict } from './predict.ts';
import { registerSummary } from './summary.ts';
import { registerTrain } from './train.ts';
import { registerRecords } from './records.ts';
import { registerFlowers } from './flowers.ts';
import { registerSystolic } from './systolic.ts';

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('tpusim')
    .description('a TPU you can read and run: cycle-level TPU-v2 simulator, XLA-like compiler, Keras-style runtime')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerNumerics(program);
  registerCompile(program);
  registerSummary(program);
  registerTrain(program);
  registerEvaluate(program);
  registerPredict(program);
  registerRecords(program);
  registerFlowers(program);
  registerMatmul(program);
  registerSystolic(program);
  registerDevice(program);
  registerAllReduce(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isUserFacing(err)) {
      process.stderr.write(`tpusim: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

await main(process.argv);
