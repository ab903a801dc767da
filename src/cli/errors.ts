/**
 * @module cli/errors
 * How the CLI reports bad input: a `UsageError` (or any library error marked
 * `userFacing = true`, or a file-system error about a path) becomes one line on stderr naming
 * the argument or file, and exit code 2; anything else is a bug: one line, exit code 1, and
 * the stack with `--debug`. Also the number parsers every command shares: decimal digits
 * only ('0x10', '1e3' and '' are refused), each naming its option.
 */
import { CommanderError } from 'commander';

/** A user mistake: wrong argument, bad file, impossible shape. Printed as one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses a positive integer option (decimal digits), or throws a UsageError naming the option. */
export function parsePositiveInt(value: string, option: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${option} must be a positive integer, got '${value}'`);
  return n;
}

/** Parses a non-negative integer option (decimal digits; 0 allowed), or throws a UsageError naming the option. */
export function parseNonNegativeInt(value: string, option: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${option} must be a non-negative integer, got '${value}'`);
  return n;
}

/**
 * Parses a `--seed`: a positive integer, as every command takes it (train, evaluate, flowers
 * synth, matmul, systolic), so one seed means the same thing everywhere.
 */
export function parseSeed(value: string, option = '--seed'): number {
  return parsePositiveInt(value, option);
}

const SIZE_UNITS: { readonly [unit: string]: number } = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/**
 * Parses a size in bytes: decimal digits with an optional unit (B, kB, MB, GB, TB, KiB, MiB,
 * GiB, TiB), or throws a UsageError naming the option.
 * @example parseSize('4MB', '--bytes') // 4000000
 */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i.exec(text.trim());
  const bytes = m ? Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${option} must be a whole number of bytes, like 4096, 4MB or 1GiB; got '${text}'`);
  return bytes;
}

/** Parses one of a fixed set of names, or throws a UsageError listing the valid ones. */
export function parseChoice<T extends string>(value: string, option: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} must be one of ${choices.join(', ')}; got '${value}'`);
}

/**
 * Errors that name a user's mistake and should print as one line: UsageError, and any error
 * class from the library that marks itself with `userFacing = true` (shape errors, corrupt
 * records, memory overflows).
 */
export function isUserFacing(err: unknown): err is Error {
  if (err instanceof UsageError) return true;
  return err instanceof Error && (err as { userFacing?: unknown }).userFacing === true;
}

/** File-system error codes that are about the user's paths, with what they mean. */
const PATH_PROBLEMS: { readonly [code: string]: string } = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'the folder is not empty',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** A Node file-system error about a path ('EISDIR ... /tmp') as one line naming the path, or null. */
function pathProblem(err: unknown): string | null {
  const e = err as { code?: unknown; path?: unknown; dest?: unknown; syscall?: unknown };
  if (typeof e.code !== 'string' || typeof e.path !== 'string' || !(e.code in PATH_PROBLEMS)) return null;
  const dest = typeof e.dest === 'string' ? ` -> '${e.dest}'` : '';
  return `'${e.path}'${dest}: ${PATH_PROBLEMS[e.code]} (${String(e.syscall ?? 'fs')})`;
}

/** One line: newlines folded, control characters (NUL, escapes) shown as \xNN. */
export function oneLine(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .trim();
}

/** How a command ends on an error: the line for stderr ('' when commander printed it), the exit code, the stack. */
export interface ErrorReport {
  readonly line: string;
  readonly exitCode: number;
  readonly stack?: string;
}

/**
 * The report of an error that ended a command: a user's mistake is one line and exit code 2;
 * a parse error commander printed already exits 2 (help and --version 0); anything else is
 * one line saying it is internal, with the hint to rerun with --debug, and exit code 1.
 */
export function errorReport(err: unknown): ErrorReport {
  if (err instanceof CommanderError) return { line: '', exitCode: err.exitCode === 0 ? 0 : 2 };
  const stack = err instanceof Error ? err.stack : undefined;
  const withStack = (r: { line: string; exitCode: number }): ErrorReport => (stack === undefined ? r : { ...r, stack });
  if (isUserFacing(err)) return withStack({ line: `tpusim: ${oneLine(err.message)}`, exitCode: 2 });
  const path = pathProblem(err);
  if (path !== null) return withStack({ line: `tpusim: ${oneLine(path)}`, exitCode: 2 });
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return withStack({ line: `tpusim: internal error: ${oneLine(what)} (a bug in tpusim; rerun with --debug for the stack)`, exitCode: 1 });
}
