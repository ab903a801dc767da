/**
 * @module cli/records
 * `tpusim records FILE...`: prints TFRecord files' records as TensorFlow prints a
 * tf.train.Example (long bytes by length and prefix), the record count per file, and any
 * error. A corrupt file is an error (one line, exit 2) unless `--skip-corrupt`.
 */
import type { Command } from 'commander';
import { decodeExample, exampleToJson, formatExample, readTFRecordFile, type Example, type TFRecordError } from '../data/index.ts';
import { parsePositiveInt, UsageError } from './errors.ts';
import { emit } from './output.ts';

/** One record as shown: where it was and its features (or why it is not an Example). */
interface ShownRecord {
  readonly index: number;
  readonly offset: number;
  readonly bytes: number;
  readonly example?: Example;
  readonly error?: string;
}

/** What `records` found in one file. */
interface FileReport {
  readonly file: string;
  readonly records: number;
  readonly corrupt: number;
  readonly shown: ShownRecord[];
  readonly corruptErrors: string[];
  readonly error?: string;
}

async function inspect(file: string, limit: number, skipCorrupt: boolean): Promise<FileReport> {
  const shown: ShownRecord[] = [];
  const corruptErrors: string[] = [];
  let records = 0;
  try {
    const onCorrupt = (e: TFRecordError) => void corruptErrors.push(e.message);
    for await (const r of readTFRecordFile(file, { skipCorrupt, onCorrupt })) {
      records++;
      if (shown.length >= limit) continue;
      try {
        shown.push({ index: r.recordIndex, offset: r.byteOffset, bytes: r.data.length, example: decodeExample(r.data) });
      } catch (e) {
        shown.push({ index: r.recordIndex, offset: r.byteOffset, bytes: r.data.length, error: (e as Error).message });
      }
    }
  } catch (e) {
    return { file, records, corrupt: corruptErrors.length, shown, corruptErrors, error: (e as Error).message };
  }
  return { file, records, corrupt: corruptErrors.length, shown, corruptErrors };
}

function render(reports: FileReport[]): string {
  const out: string[] = [];
  for (const rep of reports) {
    for (const s of rep.shown) {
      out.push(`== ${rep.file} record ${s.index} (byte ${s.offset}, ${s.bytes} bytes)`);
      out.push(s.example ? formatExample(s.example) : `not a tf.train.Example: ${s.error ?? ''}`);
    }
    for (const e of rep.corruptErrors) out.push(`skipped: ${e}`);
    const skipped = rep.corrupt > 0 ? `, ${rep.corrupt} corrupt skipped` : '';
    out.push(`${rep.file}: ${rep.records} records${skipped}${rep.error ? `, then error: ${rep.error}` : ''}`);
  }
  return out.join('\n');
}

function toJson(reports: FileReport[]): unknown {
  return reports.map((r) => ({
    file: r.file,
    records: r.records,
    corrupt: r.corrupt,
    corruptErrors: r.corruptErrors,
    error: r.error ?? null,
    shown: r.shown.map((s) => ({ index: s.index, offset: s.offset, bytes: s.bytes, features: s.example ? exampleToJson(s.example) : null, error: s.error ?? null })),
  }));
}

/** Adds the `records` command to the program. */
export function registerRecords(program: Command): void {
  program
    .command('records')
    .description('print the records of TFRecord files as tf.train.Example, with counts and errors')
    .argument('<files...>', 'TFRecord files')
    .option('--limit <n>', 'records printed per file', '3')
    .option('--json', 'print JSON')
    .option('--skip-corrupt', 'skip and count corrupt records instead of stopping')
    .action(async (files: string[], opts: { limit: string; json?: boolean; skipCorrupt?: boolean }) => {
      const limit = parsePositiveInt(opts.limit, '--limit');
      const reports: FileReport[] = [];
      for (const f of files) reports.push(await inspect(f, limit, opts.skipCorrupt === true));
      if (opts.json) emit(toJson(reports), true, () => '');
      else emit(reports, false, render);
      const failed = reports.find((r) => r.error !== undefined);
      // The report is printed; the first error also ends the command: one line, exit 2.
      if (failed) throw new UsageError(failed.error!);
    });
}
