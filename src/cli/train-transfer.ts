/**
 * @module cli/train-transfer
 * What `tpusim train` adds for transfer learning (`--model mobilenet-transfer --backbone
 * MODEL_DIR [--unfreeze-epochs N --fine-tune-lr R]`, layers/transfer): the option checks,
 * opening the backbone (whose input size becomes the run's), and the two phases' epochs.
 *
 * Imports layers (loading, shapes, presets' names), ./errors, ./run-dir (types).
 */
import { PRESET_NAMES, formatShape, loadModel, type Model } from '../layers/index.ts';
import { UsageError } from './errors.ts';
import type { RunSettings } from './run-dir.ts';

/** The transfer-learning model: an imported backbone (--backbone), frozen, with a new head (layers/transfer). */
export const TRANSFER = 'mobilenet-transfer';
export const MODEL_NAMES = [...PRESET_NAMES, TRANSFER];

/**
 * The --backbone model, loaded; the run's image size becomes its input size (an explicit
 * --image-size must agree: the backbone was imported for one size).
 */
export async function openBackbone(s: RunSettings, imageSizeGiven: boolean): Promise<{ backbone: Model; settings: RunSettings }> {
  const backbone = await loadModel(s.backbone!);
  const [, h, w, c] = backbone.inputShape;
  if (backbone.inputShape.length !== 4 || h !== w || c !== 3 || typeof h !== 'number') {
    throw new UsageError(`--backbone ${s.backbone}: the model takes ${formatShape(backbone.inputShape)}; images need an input of (None, S, S, 3)`);
  }
  if (imageSizeGiven && h !== s.imageSize) throw new UsageError(`--image-size ${s.imageSize}: the backbone ${s.backbone} takes ${h} x ${h} images (import it with --image-size ${s.imageSize})`);
  return { backbone, settings: { ...s, imageSize: h } };
}

/** The transfer options are given together and only to the transfer model. */
export function checkTransferOptions(model: string, o: { backbone?: string; unfreezeEpochs?: string; fineTuneLr?: string }): void {
  if (model === TRANSFER && o.backbone === undefined) throw new UsageError(`--model ${TRANSFER} needs --backbone MODEL_DIR (a feature extractor made by tpusim import --output NODE)`);
  if (model !== TRANSFER && o.backbone !== undefined) throw new UsageError(`--backbone is for --model ${TRANSFER}, not ${model}`);
  if (model !== TRANSFER && (o.unfreezeEpochs !== undefined || o.fineTuneLr !== undefined)) throw new UsageError(`--unfreeze-epochs and --fine-tune-lr are for --model ${TRANSFER}`);
  if (o.fineTuneLr !== undefined && o.unfreezeEpochs === undefined) throw new UsageError('--fine-tune-lr is the learning rate of the --unfreeze-epochs phase: give --unfreeze-epochs N');
}

/** Epochs of both phases: the frozen backbone's, then --unfreeze-epochs of fine-tuning. */
export const totalEpochs = (s: RunSettings): number => s.epochs + (s.unfreezeEpochs ?? 0);

/** Default learning rate of the fine-tuning phase (Keras's transfer-learning guide's, for Adam). */
export const FINE_TUNE_LR = 1e-5;
