/**
 * @module cli/summary
 * `tpusim summary MODEL [--image-size S] [--json]`: Keras's model.summary() for one of the
 * codelab presets (layers, output shapes, parameter counts, trainable and non-trainable).
 * A model whose weights would not fit the host memory limit is refused before it is built.
 */
import type { Command } from 'commander';
import { PRESET_NAMES, renderSummary, summarize } from '../layers/index.ts';
import { parseChoice, parsePositiveInt } from './errors.ts';
import { presetWithinHost } from './limits.ts';
import { emit } from './output.ts';

/** Adds the `summary` command to the program. */
export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description(`print a model preset's summary as Keras does (${PRESET_NAMES.join(', ')})`)
    .argument('<model>', `preset: ${PRESET_NAMES.join(' | ')}`)
    .option('--image-size <pixels>', 'input height = width', '192')
    .option('--classes <n>', 'output classes', '5')
    .option('--json', 'print JSON')
    .action((name: string, opts: { imageSize: string; classes: string; json?: boolean }) => {
      const model = parseChoice(name, 'MODEL', PRESET_NAMES);
      const m = presetWithinHost(model, { imageSize: parsePositiveInt(opts.imageSize, '--image-size'), classes: parsePositiveInt(opts.classes, '--classes') });
      emit(summarize(m), opts.json, renderSummary);
    });
}
