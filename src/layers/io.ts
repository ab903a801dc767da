/**
 * @module layers/io
 * Loading models from disk in TensorFlow.js's format (./tfjs-format.ts); saving is
 * ./save.ts. `loadModel` needs only the folder: the topology in model.json builds the model
 * (./tfjs-load.ts), and the weights come from the files its manifest lists, whatever their
 * names (`weights-<hash>.bin` from `saveModel`, `weights.bin` from older tpusim versions,
 * tfjs's `group1-shard1of1.bin`). Every loading error names the file and what is wrong with it.
 *
 * Folders: a model folder holds model.json and the weights files its manifest lists;
 * a run folder holds a model folder named `model/`.
 *
 * Imports node:fs, node:path, ./tfjs-format, ./tfjs-load, ./model (type), ./errors.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LayerConfigError } from './errors.ts';
import type { Model } from './model.ts';
import { setWeightsFromTfjs, type ModelJson, type WeightSpec } from './tfjs-format.ts';
import { modelFromTopology } from './tfjs-load.ts';

/** What went wrong reading a file, without Node's error code prefix. */
function reason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

/** Prefixes a user-facing error with the file it is about; other errors pass through. */
function inFile(path: string, err: unknown): unknown {
  if (err instanceof Error && (err as { userFacing?: unknown }).userFacing === true) return new LayerConfigError(`'${path}': ${err.message}`);
  return err;
}

/**
 * The model.json of a saved model: `path` itself when it names a .json file or any file, else
 * `path/model.json` (a model folder), else `path/model/model.json` (a run folder).
 * @example await modelJsonPath('runs/flowers') // 'runs/flowers/model/model.json'
 */
export async function modelJsonPath(path: string): Promise<string> {
  if (path.endsWith('.json')) return path;
  const info = await stat(path).catch((err: unknown) => {
    throw new LayerConfigError(`cannot read the model '${path}': ${reason(err)}`);
  });
  if (!info.isDirectory()) return path;
  for (const p of [join(path, 'model.json'), join(path, 'model', 'model.json')]) if (await stat(p).then((s) => s.isFile(), () => false)) return p;
  throw new LayerConfigError(`'${path}' holds no saved model (no ${join(path, 'model.json')}, no ${join(path, 'model', 'model.json')})`);
}

/** Reads and parses a model.json, naming the file in every error. */
async function readModelJson(jsonPath: string): Promise<ModelJson> {
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new LayerConfigError(`cannot read '${jsonPath}': ${reason(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LayerConfigError(`'${jsonPath}' is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new LayerConfigError(`'${jsonPath}' is not a model.json object`);
  return json as ModelJson;
}

/** The manifest's weight specs and the concatenated bytes of its weight files (paths relative to model.json). */
async function readWeights(jsonPath: string, json: ModelJson): Promise<{ specs: WeightSpec[]; bytes: Uint8Array }> {
  if (!Array.isArray(json.weightsManifest)) throw new LayerConfigError(`'${jsonPath}' has no weightsManifest`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  for (const s of specs) {
    // NOTE: quantized weights keep dtype 'float32' but store uint8/uint16/float16 data.
    const quantized = (s as { quantization?: unknown }).quantization !== undefined;
    if (quantized || s.dtype !== 'float32') {
      throw new LayerConfigError(`'${jsonPath}': weight '${s.name}' is ${quantized ? 'quantized' : String(s.dtype)}; only float32 weights are supported`);
    }
  }
  const dir = dirname(jsonPath);
  const files = json.weightsManifest.flatMap((g) => g.paths).map((p) => join(dir, p));
  const parts = await Promise.all(
    files.map((f) =>
      readFile(f).catch((err: unknown) => {
        throw new LayerConfigError(`cannot read the weights file '${f}' (listed in '${jsonPath}'): ${reason(err)}`);
      }),
    ),
  );
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  const want = 4 * specs.reduce((a, s) => a + s.shape.reduce((n, d) => n * d, 1), 0);
  if (bytes.length !== want) {
    throw new LayerConfigError(`the weights files of '${jsonPath}' (${files.join(', ')}) hold ${bytes.length} bytes; its manifest describes ${want}`);
  }
  return { specs, bytes };
}

/** Loads weights into a model from a TensorFlow.js folder or model.json path (by weight name). */
export async function loadWeights(m: Model, path: string, o: { allowExtra?: boolean } = {}): Promise<void> {
  const jsonPath = await modelJsonPath(path);
  const { specs, bytes } = await readWeights(jsonPath, await readModelJson(jsonPath));
  try {
    setWeightsFromTfjs(m, specs, bytes, o);
  } catch (err) {
    throw inFile(jsonPath, err);
  }
}

/**
 * Loads a saved model from its folder alone: the topology of model.json builds the model
 * (./tfjs-load.ts), then its weights files fill it. `path` is a model folder, a run folder
 * (its model in `path/model/`) or a model.json. Files written by `saveModel`, tfjs-layers or
 * the tfjs converter load, if tpusim has every layer and option they use.
 * @throws LayerConfigError naming the file and what is wrong with it
 * @example const m = await loadModel('out/flowers'); const probs = await m.predict(images);
 */
export async function loadModel(path: string): Promise<Model> {
  const jsonPath = await modelJsonPath(path);
  const json = await readModelJson(jsonPath);
  let m: Model;
  try {
    m = modelFromTopology(json);
  } catch (err) {
    throw inFile(jsonPath, err);
  }
  const { specs, bytes } = await readWeights(jsonPath, json);
  try {
    setWeightsFromTfjs(m, specs, bytes);
  } catch (err) {
    throw inFile(jsonPath, err);
  }
  return m;
}
