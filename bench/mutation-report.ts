/**
 * Writes the mutation score of `npm run test:mutation` (Stryker, stryker.config.mjs) into
 * bench/results/mutation.json: per mutated file the mutants killed, survived, without
 * coverage, timed out and ignored (equivalent mutants marked in the source with a
 * `// Stryker disable` comment that says why), the score, and where each survivor is.
 * Reads Stryker's JSON report (mutation-testing-report-schema). Survivors listed in
 * bench/mutation-equivalent.json (file, line, mutator, replacement, why) count as equivalent:
 * out of the score, listed with the reason.
 *
 *   npx tsx bench/mutation-report.ts [--command "the stryker command"] [--minutes N] [REPORT.json...]
 *
 * Default report: reports/mutation/mutation.json. A run scoped with `--mutate` reports only
 * its files: those replace their entries in the results file, the others are kept (each
 * entry has the date and command of the run that produced it); the total is recomputed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'bench', 'results', 'mutation.json');

type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';

interface ReportMutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: Status;
  readonly statusReason?: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}

interface Report {
  readonly files: Record<string, { readonly mutants: readonly ReportMutant[] }>;
}

interface Counts {
  killed: number;
  survived: number;
  noCoverage: number;
  timeout: number;
  ignored: number;
  errors: number;
}

interface FileResult extends Counts {
  /** (killed + timeout) / (killed + timeout + survived + noCoverage), in percent. */
  score: number;
  survivors: string[];
  /** Ignored (equivalent) mutants and the reason given in the source. */
  equivalent: string[];
  date: string;
  command: string;
  /** Line ranges the run mutated in this file (`--mutate file:a-b`); absent: the whole file. */
  lines?: string[];
  minutes?: number;
}

const round = (x: number): number => Number(x.toFixed(2));

/** Stryker's mutation score: detected over valid mutants (ignored and errors excluded). */
export function score(c: Counts): number {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  return valid === 0 ? 100 : round((100 * (c.killed + c.timeout)) / valid);
}

const where = (m: ReportMutant): string => `${m.location.start.line}:${m.location.start.column} ${m.mutatorName}${m.replacement !== undefined ? ` -> ${m.replacement.replace(/\s+/g, ' ').slice(0, 80)}` : ''}`;

/** Counts and survivors of one file's mutants. */
export function fileResult(mutants: readonly ReportMutant[], meta: { date: string; command: string; lines?: string[]; minutes?: number }): FileResult {
  const c: Counts = { killed: 0, survived: 0, noCoverage: 0, timeout: 0, ignored: 0, errors: 0 };
  const survivors: string[] = [];
  const equivalent: string[] = [];
  for (const m of mutants) {
    if (m.status === 'Killed') c.killed++;
    else if (m.status === 'Timeout') c.timeout++;
    else if (m.status === 'Survived' || m.status === 'NoCoverage') {
      if (m.status === 'Survived') c.survived++;
      else c.noCoverage++;
      survivors.push(`${m.status === 'NoCoverage' ? 'no coverage ' : ''}${where(m)}`);
    } else if (m.status === 'Ignored') {
      c.ignored++;
      equivalent.push(`${where(m)}: ${m.statusReason ?? ''}`);
    } else c.errors++;
  }
  return { ...c, score: score(c), survivors, equivalent, ...meta };
}

/** The line ranges of `file` in the command's --mutate list (`file:12-30`). */
export function rangesOf(command: string, file: string): string[] {
  const list = /--mutate[ =]"?([^" ]+)/.exec(command)?.[1] ?? '';
  return list.split(',').flatMap((m) => (m.startsWith(`${file}:`) ? [m.slice(file.length + 1)] : []));
}

/** A surviving mutant judged equivalent (bench/mutation-equivalent.json): where, and why no test can tell. */
interface Equivalent {
  readonly file: string;
  readonly line: number;
  readonly mutator: string;
  readonly replacement: string;
  readonly why: string;
}

const EQUIVALENT_FILE = join(root, 'bench', 'mutation-equivalent.json');

/** Marks survivors listed in bench/mutation-equivalent.json as Ignored, with the reason. */
function markEquivalent(file: string, mutants: readonly ReportMutant[], list: readonly Equivalent[]): ReportMutant[] {
  return mutants.map((m) => {
    if (m.status !== 'Survived') return m;
    const e = list.find((q) => q.file === file && q.line === m.location.start.line && q.mutator === m.mutatorName && q.replacement === m.replacement);
    return e ? { ...m, status: 'Ignored', statusReason: `equivalent: ${e.why}` } : m;
  });
}

function main(argv: readonly string[]): void {
  let command = 'npm run test:mutation';
  let minutes: number | undefined;
  const reports: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--command') command = argv[++i] ?? command;
    else if (a === '--minutes') minutes = Number(argv[++i]);
    else reports.push(a);
  }
  if (reports.length === 0) reports.push(join(root, 'reports', 'mutation', 'mutation.json'));
  const previous = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { files?: Record<string, FileResult> }) : {};
  const files: Record<string, FileResult> = { ...(previous.files ?? {}) };
  const date = new Date().toISOString();
  const equivalent = existsSync(EQUIVALENT_FILE) ? (JSON.parse(readFileSync(EQUIVALENT_FILE, 'utf8')) as Equivalent[]) : [];
  for (const path of reports) {
    if (!existsSync(path)) throw new Error(`mutation-report: ${path} not found (run \`npx stryker run\` with the json reporter first)`);
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    for (const [name, f] of Object.entries(report.files)) {
      const key = relative(root, join(root, name)).replaceAll('\\', '/');
      const lines = rangesOf(command, key);
      files[key] = fileResult(markEquivalent(key, f.mutants, equivalent), { date, command, ...(lines.length > 0 ? { lines } : {}), ...(minutes !== undefined ? { minutes } : {}) });
    }
  }
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  const total: Counts = { killed: 0, survived: 0, noCoverage: 0, timeout: 0, ignored: 0, errors: 0 };
  for (const f of Object.values(sorted)) for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += f[k];
  const out = {
    bench: 'mutation',
    node: process.version,
    date,
    loadAverage: loadavg().map(round),
    total: { ...total, score: score(total) },
    files: sorted,
  };
  writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`mutation score ${out.total.score}% (${total.killed + total.timeout} detected, ${total.survived} survived, ${total.noCoverage} without coverage, ${total.ignored} equivalent) -> ${relative(root, OUT)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
