/**
 * @module cli/timeline-files
 * The timeline outputs of `tpusim compile --simulate` (`--html FILE`, `--svg FILE`): checked
 * before any work, written atomically from the run the text report is made of.
 *
 * Imports viz (timeline), ./errors, ./output-path, ./run-dir.
 */
import { buildTimeline, type TimelineInput } from '../viz/timeline.ts';
import { timelinePage, timelineSvg } from '../viz/timeline-svg.ts';
import { UsageError } from './errors.ts';
import { checkOutputFile } from './output-path.ts';
import { writeFileAtomic } from './run-dir.ts';

/** Where to write the timeline (checked paths). */
export interface TimelineOutputs {
  readonly html?: string;
  readonly svg?: string;
}

/** Checks `--html` and `--svg` before any work: they need `--simulate` and writable paths. */
export function checkTimelineOutputs(opts: { readonly html?: string; readonly svg?: string; readonly simulate?: boolean }): TimelineOutputs {
  for (const [flag, path] of [['--html', opts.html], ['--svg', opts.svg]] as const) {
    if (path === undefined) continue;
    if (!opts.simulate) throw new UsageError(`${flag} ${path} draws the simulated step: add --simulate`);
    checkOutputFile(path, flag);
  }
  if (opts.html !== undefined && opts.html === opts.svg) throw new UsageError(`--html and --svg name the same file '${opts.html}'`);
  return { ...(opts.html !== undefined ? { html: opts.html } : {}), ...(opts.svg !== undefined ? { svg: opts.svg } : {}) };
}

/** Writes the asked-for timeline files of one run (nothing when none was asked for). */
export function writeTimelines(outputs: TimelineOutputs, input: TimelineInput): void {
  if (outputs.html === undefined && outputs.svg === undefined) return;
  const timeline = buildTimeline(input);
  if (outputs.html !== undefined) writeFileAtomic(outputs.html, timelinePage(timeline));
  if (outputs.svg !== undefined) writeFileAtomic(outputs.svg, timelineSvg(timeline));
}
