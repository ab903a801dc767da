/**
 * @module cli/output
 * One way to print a command's result: JSON when `--json` is given, text otherwise.
 */

/** Prints `data` as pretty JSON, or the text rendering of it. */
export function emit<T>(data: T, json: boolean | undefined, render: (data: T) => string): void {
  if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${render(data)}\n`);
}
