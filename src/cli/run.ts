/**
 * @module cli/run
 * The `tpusim` command line as a function: `runCli(args)` parses and runs one command and
 * returns its exit code, so tests can run the CLI in-process. Every error ends here as one
 * line on stderr (./errors.ts `errorReport`): exit 2 for bad input, 1 for an internal error
 * (with a hint to rerun with `--debug`, which prints the stack).
 * Imports ./program, ./errors.
 */
import { errorReport } from './errors.ts';
import { buildProgram } from './program.ts';

/** Whether `--debug` is among the options (before a `--` that ends them). */
function wantsDebug(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--debug');
}

/** Writes the one line (and with --debug the stack) of an error; its exit code. */
export function reportError(err: unknown, debug: boolean): number {
  const r = errorReport(err);
  if (r.line) process.stderr.write(`${r.line}\n`);
  if (debug && r.stack) process.stderr.write(`${r.stack}\n`);
  return r.exitCode;
}

/**
 * Runs the command in `args` (the words after `tpusim`) and returns its exit code.
 * @example process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(args: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, wantsDebug(args));
  }
}
