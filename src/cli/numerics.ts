/**
 * @module cli/numerics
 * `tpusim numerics`: f32 vs bf16 vs f16, side by side (the codelab's case for bf16).
 */
import type { Command } from 'commander';
import { formatTable, numericsReport, type SubnormalMode } from '../bfloat16/index.ts';
import { parseChoice } from './errors.ts';
import { emit } from './output.ts';

/** Adds the `numerics` command to the program. */
export function registerNumerics(program: Command): void {
  program
    .command('numerics')
    .description('compare f32, bf16 and f16: range, precision, and what they do to telling values')
    .option('--subnormals <mode>', 'bf16 subnormal handling: flush | keep', 'flush')
    .option('--json', 'print JSON')
    .action((opts: { subnormals: string; json?: boolean }) => {
      const mode = parseChoice<SubnormalMode>(opts.subnormals, '--subnormals', ['flush', 'keep']);
      emit(numericsReport(mode), opts.json, formatTable);
    });
}
