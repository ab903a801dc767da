/**
 * @module cli/output-path
 * Output paths checked before any work starts, so a long run never ends in a failed write.
 * A file output (`matmul --out`) is a regular file: it must not exist yet, or be a regular
 * file we may replace, in a folder we can write. A folder output (`flowers synth --out`)
 * must not exist yet (its nearest existing parent writable), or be a folder we can write.
 * Anything else at the path (a folder where a file goes, a symbolic link, a device, a FIFO)
 * is refused with one line naming the path; nothing is replaced through a link.
 *
 * Imports node:fs, node:path, ./errors.
 */
import { accessSync, constants, lstatSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** What kind of thing is at a path, in words, for refusals. */
function kind(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isFile()) return 'a file';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The stats of `path` (of the link itself with `link`), or null when nothing (reachable) is there. */
function statOrNull(path: string, link = false): Stats | null {
  try {
    return link ? lstatSync(path) : statSync(path);
  } catch {
    return null;
  }
}

/** Whether this process may write into `path` (a folder: create and rename files in it). */
function writable(path: string, mode = constants.W_OK): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** Throws unless the folder `dir` exists and we may create files in it. */
function checkParent(path: string, option: string, dir: string): void {
  const info = statOrNull(dir);
  if (!info) throw new UsageError(`${option} ${path}: no folder ${dir} to write it in`);
  if (!info.isDirectory()) throw new UsageError(`${option} ${path}: ${dir} is not a folder`);
  if (!writable(dir, constants.W_OK | constants.X_OK)) throw new UsageError(`${option} ${path}: cannot write in ${dir} (permission denied)`);
}

/**
 * Checks a file output before any work: nothing there yet, or a regular file we may replace;
 * its folder exists and is writable. Returns the path.
 * @throws UsageError naming the option, the path and the problem
 */
export function checkOutputFile(path: string, option: string): string {
  if (path.trim() === '') throw new UsageError(`${option} needs a file name`);
  const info = statOrNull(path, true);
  if (info && !info.isFile()) throw new UsageError(`${option} ${path}: exists and is ${kind(info)}; outputs are written as new regular files`);
  if (info && !writable(path)) throw new UsageError(`${option} ${path}: cannot replace it (permission denied)`);
  checkParent(path, option, dirname(resolve(path)));
  return path;
}

/**
 * Checks a folder output before any work: nothing there yet (its nearest existing parent
 * writable, as folders are created), or a folder (or a link to one) we can write in.
 * Returns the path.
 * @throws UsageError naming the option, the path and the problem
 */
export function checkOutputFolder(path: string, option: string): string {
  if (path.trim() === '') throw new UsageError(`${option} needs a folder name`);
  const info = statOrNull(path, true);
  if (info) {
    // a link to a folder is a folder to write in; anything else is described as what is there
    if (!(info.isDirectory() || (info.isSymbolicLink() && statOrNull(path)?.isDirectory()))) throw new UsageError(`${option} ${path}: exists and is ${kind(info)}, not a folder`);
    if (!writable(path, constants.W_OK | constants.X_OK)) throw new UsageError(`${option} ${path}: cannot write in it (permission denied)`);
    return path;
  }
  let parent = dirname(resolve(path));
  while (statOrNull(parent, true) === null && dirname(parent) !== parent) parent = dirname(parent);
  checkParent(path, option, parent);
  return path;
}
