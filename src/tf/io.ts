/**
 * @module tf/io
 * `tf.loadLayersModel('file://dir/model.json')`: a model saved by `model.save('file://dir')`,
 * by tfjs-node, by tfjs-layers or by the tfjs converter, read with ../layers' loader (the
 * topology builds the model, the manifest's weights fill it). A Sequential topology
 * (tfjs-layers' files) comes back as a Sequential; tpusim writes every model as a
 * functional one. Other URL schemes (http://, indexeddb://) are refused by name.
 *
 * Imports ../layers (loadModel), ./model.
 */
import { loadModel } from '../layers/index.ts';
import { fileUrlPath, LayersModel } from './model.ts';
import { Sequential } from './sequential.ts';

/**
 * Loads a saved model (a model.json path or its folder, as a 'file://' URL or a plain path).
 * @example const model = await tf.loadLayersModel('file://out/my-model/model.json');
 */
export async function loadLayersModel(pathOrURL: string, _options?: unknown): Promise<LayersModel> {
  const m = await loadModel(fileUrlPath('tf.loadLayersModel', 'pathOrIOHandler', pathOrURL));
  return m.kind === 'sequential' ? new Sequential({}, m) : new LayersModel(m);
}
