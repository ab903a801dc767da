/**
 * @module layers/io
 * Saving and loading models on disk in TensorFlow.js's format (./tfjs-format.ts): a folder
 * with model.json and weights.bin. Writes are atomic: each file goes to a temporary name in
 * the same folder and is renamed over the target, so a crash never leaves half a file.
 *
 * Imports node:fs, node:path, ./tfjs-format, ./model (type), ./errors.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LayerConfigError } from './errors.ts';
import type { Model } from './model.ts';
import { setWeightsFromTfjs, toTfjs, type ModelJson } from './tfjs-format.ts';

/** Writes `data` to `path` atomically (temp file in the same folder, then rename). */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Saves a model as TensorFlow.js files: `dir/model.json` and `dir/weights.bin`.
 * @example await saveModel(m, 'out/flowers')  // then tf.loadLayersModel('file://out/flowers/model.json') in tfjs-node
 */
export async function saveModel(m: Model, dir: string): Promise<{ json: string; weights: string }> {
  await mkdir(dir, { recursive: true });
  const { json, weights } = toTfjs(m);
  const paths = { json: join(dir, 'model.json'), weights: join(dir, 'weights.bin') };
  await writeAtomic(paths.weights, weights);
  await writeAtomic(paths.json, JSON.stringify(json));
  return paths;
}

/** Loads weights into a model from a TensorFlow.js folder or model.json path (by weight name). */
export async function loadWeights(m: Model, path: string, o: { allowExtra?: boolean } = {}): Promise<void> {
  const jsonPath = path.endsWith('.json') ? path : join(path, 'model.json');
  const dir = jsonPath.slice(0, Math.max(0, jsonPath.lastIndexOf('/'))) || '.';
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelJson;
  } catch (err) {
    throw new LayerConfigError(`cannot read '${jsonPath}': ${(err as Error).message}`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new LayerConfigError(`'${jsonPath}' has no weightsManifest`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  setWeightsFromTfjs(m, specs, bytes, o);
}
