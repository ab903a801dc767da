/**
 * @module xla/pipeline
 * Runs passes in order (house style C, after XLA's HloPassPipeline): each pass is a pure
 * `{ name, run(m) }` returning the same object when nothing changed; `verify()` runs after
 * every pass that changed something; `TPUSIM_DUMP=dir` writes `NN-<pass>.hlo` after each
 * pass (`TPUSIM_DUMP_FILTER=regex` picks passes); any pass can be disabled by name; a
 * fixpoint helper repeats a group of passes until none changes anything.
 *
 * Imports ./hlo, ./print, ./verify, node:fs / node:path (dumps only).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HloModule } from './hlo.ts';
import { print } from './print.ts';
import { verify } from './verify.ts';

/** A compiler pass: a name and a pure function; returns its input object when nothing changed. */
export interface Pass {
  readonly name: string;
  readonly run: (m: HloModule) => HloModule;
}

/** What happened in one pass. */
export interface PassRecord {
  readonly pass: string;
  readonly changed: boolean;
  /** Wall-clock milliseconds of the pass plus its verification. */
  readonly ms: number;
  /** Instructions in the entry after the pass. */
  readonly instructions: number;
}

/** Options of a pipeline run. */
export interface PipelineOptions {
  /** Pass names to skip. */
  readonly disable?: readonly string[];
  /** Directory for NN-<pass>.hlo dumps. Default: $TPUSIM_DUMP (none when unset). */
  readonly dumpDir?: string;
  /** Only passes whose name matches are dumped. Default: $TPUSIM_DUMP_FILTER, or all. */
  readonly dumpFilter?: RegExp;
  /** Called after every pass with the module (the CLI's --dump-after). */
  readonly after?: (pass: string, m: HloModule, changed: boolean) => void;
}

/** A pipeline's result: the final module and one record per pass run. */
export interface PipelineResult {
  readonly module: HloModule;
  readonly log: readonly PassRecord[];
}

/** Repeats `passes` in order until a whole round changes nothing (at most `maxRounds`). */
export function fixpoint(name: string, passes: readonly Pass[], maxRounds = 8): Pass {
  return {
    name,
    run: (m) => {
      let current = m;
      for (let round = 0; round < maxRounds; round++) {
        const before = current;
        for (const p of passes) current = p.run(current);
        if (current === before) break;
      }
      return current;
    },
  };
}

/**
 * Runs `passes` on `m`, verifying after every change and dumping as configured.
 * @example runPipeline(m, [algsimp, dce]).module
 */
export function runPipeline(m: HloModule, passes: readonly Pass[], options: PipelineOptions = {}): PipelineResult {
  const dumpDir = options.dumpDir ?? process.env.TPUSIM_DUMP;
  const envFilter = process.env.TPUSIM_DUMP_FILTER;
  const filter = options.dumpFilter ?? (envFilter ? new RegExp(envFilter) : undefined);
  const disabled = new Set(options.disable ?? []);
  const dump = (index: number, name: string, module: HloModule): void => {
    if (!dumpDir || (filter && !filter.test(name))) return;
    mkdirSync(dumpDir, { recursive: true });
    writeFileSync(join(dumpDir, `${String(index).padStart(2, '0')}-${name}.hlo`), print(module));
  };
  dump(0, 'input', m);
  const log: PassRecord[] = [];
  let current = m;
  passes.forEach((p, k) => {
    if (disabled.has(p.name)) return;
    const start = performance.now();
    const next = p.run(current);
    const changed = next !== current;
    if (changed) verify(next);
    log.push({ pass: p.name, changed, ms: performance.now() - start, instructions: next.entry.instructions.length });
    current = next;
    dump(k + 1, p.name, current);
    options.after?.(p.name, current, changed);
  });
  return { module: current, log };
}
