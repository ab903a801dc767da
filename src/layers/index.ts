/**
 * @module layers
 * Public surface of the Keras-style runtime: layers and their factories, functional and
 * sequential models, summaries, presets, and (./training.ts) compile/fit/evaluate/predict.
 * A plain list of export lines.
 */
export { ACTIVATIONS, type ActivationName } from './activations.ts';
export { LayerConfigError, LayerShapeError, NaNLossError, UnknownNameError, WeightsTooLargeError } from './errors.ts';
export { INITIALIZERS, glorotUniform, ones, zeros, type Initializer } from './initializers.ts';
export { Layer, LayerWeight, SymbolicTensor, type CallContext, type LayerArgs, type Node } from './layer.ts';
export { ActivationLayer, Dense, Dropout, Flatten, InputLayer, input, type ActivationArgs, type DenseArgs, type DropoutArgs, type InputArgs } from './core.ts';
export { Conv2D, type Conv2DArgs, type Padding } from './conv.ts';
export { DepthwiseConv2D, type DepthwiseConv2DArgs } from './conv-depthwise.ts';
export { Add, Multiply } from './merge-elementwise.ts';
export { Reshape, type ReshapeArgs } from './reshape.ts';
export { Rescaling, type RescalingArgs } from './rescaling.ts';
export { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, type Pooling2DArgs } from './pooling.ts';
export { Concatenate, type ConcatenateArgs } from './merge.ts';
export { BatchNormalization, type BatchNormalizationArgs } from './normalization.ts';
export { activation, averagePooling2d, batchNormalization, concatenate, conv2d, dense, depthwiseConv2d, dropout, flatten, globalAveragePooling2d, maxPooling2d, rescaling } from './factories.ts';
export { Model, model, sequential, type ModelArgs, type SequentialArgs } from './model.ts';
export { renderSummary, summarize, withCommas, type ModelSummary, type SummaryRow } from './summary.ts';
export { PRESET_NAMES, fire, preset, type PresetName, type PresetOptions } from './presets.ts';
export { formatShape, type LayerShape } from './shape.ts';
export { EPSILON, LOSSES, categoricalCrossentropy, sparseCategoricalCrossentropy, type Loss } from './losses.ts';
export { OPTIMIZERS, adam, momentum, rmsprop, sgd, type AdamArgs, type Optimizer, type RmspropArgs, type SgdArgs } from './optimizers.ts';
export { exponentialDecay, perEpoch, rampUpDecay, type ExponentialDecayArgs, type Schedule } from './schedules.ts';
export { AUTO_THREADS_STEP_SECONDS, defaultStrategy, defaultThreads, spareHostThreads, tpuStrategy, type Strategy, type TpuStrategyArgs } from './strategy.ts';
export { interpreterEngine, predictedSeconds, tpuEngine, type Engine } from '../runtime/index.ts';
export { STEP_OUTPUTS, TRAIN_INPUTS, compileEvalStep, compilePredictStep, compileTrainStep, variableName, type CompiledModule, type StepSpec, type TrainStep } from './step.ts';
export { Trainer, learningRateScheduler, type Callback, type CompileArgs, type FitArgs, type History, type Logs } from './training.ts';
export type { Batch, BatchLike } from './batches.ts';
export { setWeightsFromTfjs, toTfjs, topology, type ModelJson, type WeightSpec } from './tfjs-format.ts';
export { modelFromTopology } from './tfjs-load.ts';
export { loadModel, loadWeights, modelJsonPath } from './io.ts';
export { saveModel, weightsFileName, writeAtomic } from './save.ts';
export { inactiveOutputUnits, reluHead, type InactiveUnits, type ReluHead } from './diagnostics.ts';
export { CheckpointError, checkpointOf, readCheckpoint, restoreCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.ts';
export { HEAD_LAYERS, transferModel, unfreeze, type TransferArgs } from './transfer.ts';
