/**
 * Test helper: a 'file://' save and load handler for tfjs-core (what tfjs-node provides),
 * so the conformance scripts can call `model.save('file://dir')` and
 * `tf.loadLayersModel('file://dir/model.json')` with tfjs too. Writes model.json (topology
 * plus a weights manifest) and one weights.bin, as tfjs-node does.
 */
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';

type Io = typeof tfc.io;
let registered = false;

const pathOf = (url: string): string => url.slice('file://'.length);

function handler(io: Io, url: string): tfc.io.IOHandler {
  return {
    async save(artifacts) {
      const dir = pathOf(url);
      mkdirSync(dir, { recursive: true });
      const data = artifacts.weightData;
      const bytes = new Uint8Array(Array.isArray(data) ? io.concatenateArrayBuffers(data) : (data as ArrayBuffer));
      const json = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      await writeFile(join(dir, 'weights.bin'), bytes);
      return { modelArtifactsInfo: io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      const path = pathOf(url);
      const json = JSON.parse(await readFile(path, 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tfc.io.WeightsManifestEntry[] }[]; format?: string };
      const parts = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dirname(path), p))));
      const all = Buffer.concat(parts);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return { modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData, ...(json.format ? { format: json.format } : {}) };
    },
  };
}

/** Registers the handler with tfjs-core's router registry (once). */
export function registerFileIo(io: Io): void {
  if (registered) return;
  registered = true;
  // NOTE: tfjs's routers return null for URLs they do not handle (its IORouter type omits it)
  const route = (url: string | string[]): tfc.io.IOHandler => (typeof url === 'string' && url.startsWith('file://') ? handler(io, url) : (null as unknown as tfc.io.IOHandler));
  io.registerSaveRouter(route);
  io.registerLoadRouter(route);
}
