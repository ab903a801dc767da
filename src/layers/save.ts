/**
 * @module layers/save
 * Saving a model in TensorFlow.js's format (./tfjs-format.ts) so that a save is atomic as a
 * whole: a process killed at any instant leaves the folder loading to the previous model or
 * to the new one, never to one's topology with the other's weights.
 *
 * How: the weights go to a content-named file, `weights-<16 hex digits of their SHA-256>.bin`,
 * which no model.json in the folder lists yet (or which holds the same bytes); then model.json,
 * listing that file in its weightsManifest, is renamed over the old one. That rename is the
 * only switch point. After it, weights files the new model.json does not list (an older
 * `weights-*.bin`, or `weights.bin` from earlier tpusim versions) and temporary files left
 * by killed saves are removed. Every file is written to a temporary name in the same folder,
 * flushed to disk, then renamed.
 *
 * Other files in the folder (classes.json, a tfjs export's own shards) are left alone.
 * Imports node:fs, node:crypto, node:path, ./tfjs-format, ./model (type).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Model } from './model.ts';
import { toTfjs } from './tfjs-format.ts';

/** Weights files saveModel writes (and may remove once unlisted): `weights.bin` (older saves) or `weights-<hash>.bin`. */
const OWN_WEIGHTS = /^weights(-[0-9a-f]{16})?\.bin$/;
/** Temporary files of `writeAtomic`: `<name>.tmp-<pid>-<time>`. */
const TEMP = /^(model\.json|weights(-[0-9a-f]{16})?\.bin)\.tmp-(\d+)-\d+$/;

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, flushed to disk,
 * then renamed over `path` (a kill leaves the old file or the new one, and maybe the
 * temporary file; a failed write removes it).
 */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** The content-named weights file of these bytes. */
export function weightsFileName(weights: Uint8Array): string {
  return `weights-${createHash('sha256').update(weights).digest('hex').slice(0, 16)}.bin`;
}

/** Whether process `pid` is running (a temporary file of a running save is not removed). */
function running(pid: number): boolean {
  if (pid === process.pid) return false; // our own saves are finished when this runs
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

/** Removes saveModel's weights files that `keep` does not name, and temporary files of saves no longer running. */
async function removeStale(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const temp = TEMP.exec(name);
    const stale = (OWN_WEIGHTS.test(name) && name !== keep) || (temp !== null && !running(Number(temp[3])));
    if (stale) await rm(join(dir, name), { force: true });
  }
}

/**
 * Saves a model as TensorFlow.js files: `dir/model.json` and the weights file it lists
 * (`dir/weights-<hash>.bin`), atomically as a whole (see the module comment).
 * @example await saveModel(m, 'out/flowers')  // then tf.loadLayersModel('file://out/flowers/model.json') in tfjs-node
 */
export async function saveModel(m: Model, dir: string): Promise<{ json: string; weights: string }> {
  await mkdir(dir, { recursive: true });
  const exported = toTfjs(m);
  const name = weightsFileName(exported.weights);
  const json = { ...exported.json, weightsManifest: exported.json.weightsManifest.map((g) => ({ ...g, paths: [name] })) };
  const paths = { json: join(dir, 'model.json'), weights: join(dir, name) };
  await writeAtomic(paths.weights, exported.weights);
  await writeAtomic(paths.json, JSON.stringify(json)); // the switch point
  await removeStale(dir, name);
  return paths;
}
