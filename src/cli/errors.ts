/**
 * @module cli/errors
 * How the CLI reports bad input: a `UsageError` becomes one line on stderr naming the
 * argument, and exit code 2; anything else is a bug and keeps its stack.
 */

/** A user mistake: wrong argument, bad file, impossible shape. Printed as one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses a positive integer option, or throws a UsageError naming the option. */
export function parsePositiveInt(value: string, option: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${option} must be a positive integer, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${option} must be a positive integer, got '${value}'`);
  return n;
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
