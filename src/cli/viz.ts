/**
 * @module cli/viz
 * `tpusim viz`: records a small tiled matmul on the stepped systolic array and an all-reduce
 * on a ring of cores (src/viz), and serves the animated page on localhost (node:http) or,
 * with `--out DIR`, writes it as DIR/index.html. Sizes are checked before anything is
 * stepped (src/viz/systolic-record.ts `VIZ_LIMITS`), the output folder before any work.
 *
 * Imports viz, ./errors, ./output-path, ./run-dir (atomic writes).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { recordAllReduce } from '../viz/allreduce-record.ts';
import { servePage, type PageServer } from '../viz/serve.ts';
import { recordSystolic } from '../viz/systolic-record.ts';
import { vizPage } from '../viz/viz-page.ts';
import { UsageError, parseNonNegativeInt, parsePositiveInt, parseSeed } from './errors.ts';
import { checkOutputFolder } from './output-path.ts';
import { writeFileAtomic } from './run-dir.ts';

/** Raw option strings, as commander hands them over. */
export interface VizOptions {
  rows: string;
  cols: string;
  m: string;
  k: string;
  n: string;
  seed: string;
  cores: string;
  overlap: boolean;
  port: string;
  out?: string;
}

/** Parses the options (naming a bad one) and builds the page. */
export function buildVizPage(opts: VizOptions): string {
  const rows = parsePositiveInt(opts.rows, '--rows');
  const cols = parsePositiveInt(opts.cols, '--cols');
  const shape = { m: parsePositiveInt(opts.m, '-m'), k: parsePositiveInt(opts.k, '-k'), n: parsePositiveInt(opts.n, '-n') };
  const seed = parseSeed(opts.seed);
  const cores = parsePositiveInt(opts.cores, '--cores');
  return vizPage(recordSystolic({ rows, cols, shape, seed, overlap: opts.overlap }), recordAllReduce(cores));
}

/** Parses `--port`: 0 (any free port) to 65535. */
export function parsePort(text: string): number {
  const port = parseNonNegativeInt(text, '--port');
  if (port > 65535) throw new UsageError(`--port must be in 0..65535 (0 = any free port), got '${text}'`);
  return port;
}

/**
 * Runs the command: writes DIR/index.html with `--out`, else serves the page until the
 * process is stopped. Returns the server (tests close it), or null after writing.
 */
export async function runViz(opts: VizOptions, print: (line: string) => void): Promise<PageServer | null> {
  const out = opts.out === undefined ? null : checkOutputFolder(opts.out, '--out');
  const port = parsePort(opts.port);
  const html = buildVizPage(opts);
  if (out !== null) {
    mkdirSync(out, { recursive: true });
    const file = join(out, 'index.html');
    writeFileAtomic(file, html);
    print(`wrote ${file} (${(html.length / 1024).toFixed(0)} KiB, self-contained: open it in a browser)`);
    return null;
  }
  const server = await servePage(html, port);
  print(`serving ${server.url} (127.0.0.1 only); stop with Ctrl-C`);
  return server;
}

/** Adds the `viz` command to the program. */
export function registerViz(program: Command): void {
  program
    .command('viz')
    .description('animate a small systolic array running a tiled matmul, and an all-reduce on a ring, in a browser page (served on localhost, or --out)')
    .option('--rows <R>', 'array rows', '8')
    .option('--cols <C>', 'array columns', '8')
    .option('-m <M>', 'rows of A streamed through the array', '8')
    .option('-k <K>', 'contraction depth (folds over the rows)', '16')
    .option('-n <N>', 'columns of B (folds over the columns)', '12')
    .option('--seed <s>', 'seed of the integer operands in [-4, 4]', '1')
    .option('--no-overlap', 'load weight tiles only after the previous one drained (no double buffering)')
    .option('--cores <n>', 'cores on the all-reduce ring (2..16)', '8')
    .option('--port <p>', 'port on 127.0.0.1 to serve on (0 = any free port)', '8015')
    .option('--out <dir>', 'write DIR/index.html instead of serving')
    .action(async (opts: VizOptions) => {
      await runViz(opts, (line) => process.stdout.write(`${line}\n`));
    });
}
