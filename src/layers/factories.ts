/**
 * @module layers/factories
 * The lower-camel-case constructors users write, named as in TensorFlow.js
 * (`dense({units: 5})`, `conv2d({filters, kernelSize})`, ...). Each returns a new layer.
 *
 * Imports the layer classes.
 */
import { ActivationLayer, Dense, Dropout, Flatten, type ActivationArgs, type DenseArgs, type DropoutArgs } from './core.ts';
import { Conv2D, type Conv2DArgs } from './conv.ts';
import { DepthwiseConv2D, type DepthwiseConv2DArgs } from './conv-depthwise.ts';
import type { LayerArgs } from './layer.ts';
import { Concatenate, type ConcatenateArgs } from './merge.ts';
import { BatchNormalization, type BatchNormalizationArgs } from './normalization.ts';
import { Rescaling, type RescalingArgs } from './rescaling.ts';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, type Pooling2DArgs } from './pooling.ts';

/** A dense (fully connected) layer. @example dense({ units: 5, activation: 'softmax' }) */
export const dense = (args: DenseArgs): Dense => new Dense(args);
/** A 2-D convolution. @example conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }) */
export const conv2d = (args: Conv2DArgs): Conv2D => new Conv2D(args);
/** A depthwise 2-D convolution. @example depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }) */
export const depthwiseConv2d = (args: DepthwiseConv2DArgs): DepthwiseConv2D => new DepthwiseConv2D(args);
/** Max pooling (default 2x2, stride 2). @example maxPooling2d({ poolSize: 2 }) */
export const maxPooling2d = (args: Pooling2DArgs = {}): MaxPooling2D => new MaxPooling2D(args);
/** Average pooling (default 2x2, stride 2). */
export const averagePooling2d = (args: Pooling2DArgs = {}): AveragePooling2D => new AveragePooling2D(args);
/** Mean over height and width. */
export const globalAveragePooling2d = (args: LayerArgs = {}): GlobalAveragePooling2D => new GlobalAveragePooling2D(args);
/** Flattens all but the batch dimension. */
export const flatten = (args: LayerArgs = {}): Flatten => new Flatten(args);
/** Joins inputs along an axis (default last). @example concatenate().apply([a, b]) */
export const concatenate = (args: ConcatenateArgs = {}): Concatenate => new Concatenate(args);
/** An activation layer. @example activation({ activation: 'relu' }) */
export const activation = (args: ActivationArgs): ActivationLayer => new ActivationLayer(args);
/** Dropout (training only). @example dropout({ rate: 0.5 }) */
export const dropout = (args: DropoutArgs): Dropout => new Dropout(args);
/** Batch normalisation on the channel axis. @example batchNormalization({ momentum: 0.9 }) */
export const batchNormalization = (args: BatchNormalizationArgs = {}): BatchNormalization => new BatchNormalization(args);
/** y = x * scale + offset. @example rescaling({ scale: 2, offset: -1 }) // [0, 1] -> [-1, 1] */
export const rescaling = (args: RescalingArgs): Rescaling => new Rescaling(args);
