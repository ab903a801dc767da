/**
 * @module tfgraph/convert
 * A TensorFlow inference graph as a tpusim functional model: the part ./cut.ts picks,
 * node by node in topological order, each node's value one of
 *   - a constant (./constants.ts: Const nodes and ops on constants only, folded at import),
 *   - a pending convolution (./fold.ts: Conv2D or DepthwiseConv2dNative whose kernel and bias
 *     still take per-channel BiasAdd/Add/Sub/Mul and batch norms, and a Relu/Relu6 as its
 *     activation),
 *   - a symbolic tensor of the model (a layer's output).
 * Op -> layer: Conv2D -> Conv2D, DepthwiseConv2dNative -> DepthwiseConv2D (kernels in TF's
 * HWIO and [KH, KW, C, M], which are tpusim's layouts), AvgPool/MaxPool -> pooling layers,
 * Relu/Relu6/Softmax -> Activation (or the conv's activation), Add/AddV2 and Mul of two
 * tensors -> Add/Multiply, Reshape and Squeeze -> Reshape (the batch dim kept), Identity ->
 * nothing. A per-channel constant on a tensor that does not follow a foldable convolution
 * becomes a 1 x 1 depthwise convolution (scale in the kernel, shift in the bias).
 * 'SAME' padding is TensorFlow's (stride 2 on an even size pads 0 before, 1 after), as
 * tpusim's layers compute it (xla/shapes `samePadding`).
 *
 * Imports layers (layer classes, model), ./cut, ./constants, ./fold, ./attrs, ./graph-def
 * (types), ./errors.
 * Invariants: every weight of the model is set from the graph; nothing of the model's
 * forward pass is computed here (only constants are); errors name the node and its op.
 */
import {
  ActivationLayer, Add, AveragePooling2D, Conv2D, DepthwiseConv2D, LayerShapeError, MaxPooling2D, Model, Multiply, Rescaling, Reshape, input,
  type ActivationName, type Layer, type SymbolicTensor,
} from '../layers/index.ts';
import { bool, checkNhwc, float, intList, nodeError, padding, spatial } from './attrs.ts';
import { constOf, FOLDABLE, foldConst, type ConstValue } from './constants.ts';
import { cutGraph, dataInputs, type GraphCut, type Ref } from './cut.ts';
import { GraphImportError } from './errors.ts';
import { foldBatchNorm, foldScale, foldShift, perChannel, type PendingConv } from './fold.ts';
import type { TfGraph, TfNode } from './graph-def.ts';

/** Options of `convertGraph`. */
export interface ConvertOptions {
  /** The input Placeholder (default: the one the output depends on). */
  readonly input?: string;
  /** The node the model returns (default: the graph's one end node); an inner node makes a feature extractor. */
  readonly output?: string;
  /** Input height = width (default: the Placeholder's shape). */
  readonly imageSize?: number;
  /** A Rescaling layer in front: x * scale + offset (MobileNet: 2 and -1 for [0, 1] images). Default none. */
  readonly inputScale?: number;
  readonly inputOffset?: number;
  /** The model's name. Default 'imported'. */
  readonly name?: string;
}

interface TensorValue {
  readonly kind: 'tensor';
  readonly t: SymbolicTensor;
}
type Value = ConstValue | PendingConv | TensorValue;
type Handler = (cv: Converter, node: TfNode, refs: readonly Ref[], vals: readonly Value[]) => Value;

const tensorValue = (t: SymbolicTensor): TensorValue => ({ kind: 'tensor', t });

/** Characters a layer name keeps (TensorFlow's scopes stay readable: 'MobilenetV1/Conv2d_0'). */
const sanitize = (name: string): string => name.replace(/[^A-Za-z0-9_./-]/g, '_');

class Converter {
  private readonly values = new Map<string, Value>();
  private readonly names = new Set<string>();
  private readonly built = new WeakMap<PendingConv, SymbolicTensor>();
  /** The Placeholder's batch size as the graph states it (-1 when unknown). */
  graphBatch = -1;

  /** The cut's nodes by name. */
  readonly byName: ReadonlyMap<string, TfNode>;

  constructor(readonly cut: GraphCut) {
    this.byName = new Map(cut.order.map((n) => [n.name, n]));
  }

  /** A fresh layer name from a TensorFlow name. */
  unique(name: string): string {
    const base = sanitize(name);
    let n = base;
    for (let i = 1; this.names.has(n); i++) n = `${base}_${i}`;
    this.names.add(n);
    return n;
  }

  set(name: string, v: Value): void {
    this.values.set(name, v);
  }

  /** The value an input reference names; only output 0 of a computed node is supported. */
  get(ref: Ref, consumer: TfNode): Value {
    const v = this.values.get(ref.name);
    if (v === undefined) throw nodeError(consumer, `input '${ref.name}' has no value (not in the imported part)`);
    if (ref.index !== 0) throw nodeError(consumer, `takes output ${ref.index} of '${ref.name}'; tpusim imports only a node's first output`);
    return v;
  }

  /** Whether per-channel ops may still change `v` (a pending conv with one consumer and no activation). */
  foldable(ref: Ref, v: Value): v is PendingConv {
    return v.kind === 'pending' && this.cut.consumers.get(ref.name) === 1 && v.activation === 'linear';
  }

  /** Applies a layer, naming the TensorFlow node when shapes do not fit. */
  apply(layer: Layer, x: SymbolicTensor | SymbolicTensor[], node: TfNode): SymbolicTensor {
    try {
      return layer.apply(x);
    } catch (err) {
      if (err instanceof LayerShapeError) throw nodeError(node, err.message);
      throw err;
    }
  }

  /** The model tensor of a value: a pending conv becomes its layer (once), a constant is an error. */
  tensor(v: Value, node: TfNode): SymbolicTensor {
    if (v.kind === 'tensor') return v.t;
    if (v.kind === 'const') throw nodeError(node, `a constant [${v.dims.join(', ')}] where a computed tensor is expected`);
    const done = this.built.get(v);
    if (done) return done;
    const [kh, kw, , last] = v.kernelDims;
    const common = { name: v.name, strides: v.strides, padding: v.padding, activation: v.activation, useBias: v.bias !== null, kernelSize: [kh, kw] as const };
    const layer =
      v.op === 'conv'
        ? new Conv2D({ ...common, filters: last })
        : new DepthwiseConv2D({ ...common, depthMultiplier: last, dilationRate: v.dilation });
    const t = this.apply(layer, v.input, node);
    (layer instanceof Conv2D ? layer.kernel : layer.depthwiseKernel)!.value = Float32Array.from(v.kernel);
    if (v.bias) layer.bias!.value = Float32Array.from(v.bias);
    this.built.set(v, t);
    return t;
  }

  /** `x`, or a new identity 1 x 1 depthwise conv over it, ready to take per-channel folds. */
  foldTarget(ref: Ref, x: Value, node: TfNode): PendingConv {
    if (this.foldable(ref, x)) return x;
    const t = this.tensor(x, node);
    const c = t.shape[3];
    if (t.shape.length !== 4 || typeof c !== 'number') {
      throw nodeError(node, `a per-channel constant on a value of shape [${t.shape.join(', ')}] that no convolution produces is not supported (only on [B, H, W, C])`);
    }
    const name = this.unique(node.name);
    const kernel = new Float64Array(c).fill(1);
    return { kind: 'pending', op: 'depthwise', name, input: t, kernelDims: [1, 1, c, 1], kernel, bias: null, strides: [1, 1], padding: 'valid', dilation: [1, 1], activation: 'linear', channels: c };
  }
}

const isConst = (v: Value): v is ConstValue => v.kind === 'const';

/** The layer name of a convolution: its kernel constant's scope ('MobilenetV1/Conv2d_0/weights' -> 'MobilenetV1/Conv2d_0'). */
function convName(cv: Converter, node: TfNode): string {
  let k = cv.byName.get(dataInputs(node)[1]?.name ?? '');
  while (k && k.op === 'Identity') k = cv.byName.get(dataInputs(k)[0]?.name ?? '');
  const scope = k && k.op === 'Const' && k.name.includes('/') ? k.name.slice(0, k.name.lastIndexOf('/')) : node.name;
  return cv.unique(scope);
}

/** Conv2D and DepthwiseConv2dNative: a pending conv on the input tensor with the constant kernel. */
function convolution(op: 'conv' | 'depthwise'): Handler {
  return (cv, node, _refs, [x, w]) => {
    checkNhwc(node);
    if (!w || !isConst(w)) throw nodeError(node, 'the filter must be a constant (a frozen graph)');
    if (w.dims.length !== 4) throw nodeError(node, `the filter has shape [${w.dims.join(', ')}]; expected [KH, KW, C, ${op === 'conv' ? 'K' : 'M'}]`);
    const t = cv.tensor(x!, node);
    const kernelDims = w.dims as [number, number, number, number];
    if (t.shape.length !== 4 || t.shape[3] !== kernelDims[2]) {
      throw nodeError(node, `input [${t.shape.join(', ')}] does not have the filter's ${kernelDims[2]} channels (filter [${w.dims.join(', ')}])`);
    }
    const dilation = spatial(node, 'dilations', [1, 1, 1, 1]);
    if (op === 'conv' && (dilation[0] !== 1 || dilation[1] !== 1)) throw nodeError(node, `dilations [1, ${dilation.join(', ')}, 1] are not supported for Conv2D`);
    const channels = op === 'conv' ? kernelDims[3] : kernelDims[2] * kernelDims[3];
    const name = convName(cv, node);
    return { kind: 'pending', op, name, input: t, kernelDims, kernel: Float64Array.from(w.data), bias: null, strides: spatial(node, 'strides'), padding: padding(node), dilation, activation: 'linear', channels };
  };
}

/** Relu, Relu6, Softmax: the pending conv's activation, else an Activation layer. */
function activationOp(name: ActivationName): Handler {
  return (cv, node, [ref], [x]) => {
    if (name !== 'softmax' && cv.foldable(ref!, x!)) {
      x.activation = name;
      return tensorValue(cv.tensor(x, node));
    }
    return tensorValue(cv.apply(new ActivationLayer({ name: cv.unique(node.name), activation: name }), cv.tensor(x!, node), node));
  };
}

/** BiasAdd, Add, AddV2, Sub, Mul: folded when one side is a constant, else a merge layer of two tensors. */
function binary(kind: 'add' | 'sub' | 'mul', constFirstOk: boolean): Handler {
  return (cv, node, refs, [a, b]) => {
    if (node.op === 'BiasAdd') checkNhwc(node);
    const ci = isConst(b!) ? 1 : isConst(a!) && constFirstOk ? 0 : -1;
    if (ci >= 0) {
      const c = (ci === 1 ? b : a) as ConstValue;
      const p = cv.foldTarget(refs[1 - ci]!, (ci === 1 ? a : b)!, node);
      const v = perChannel(node, c, p.channels);
      if (kind === 'mul') foldScale(p, v);
      else foldShift(p, kind === 'sub' ? v.map((x) => -x) : v);
      return p;
    }
    if (kind === 'sub' || node.op === 'BiasAdd' || (isConst(a!) && !constFirstOk)) throw nodeError(node, 'is supported only with a constant second operand (folded into the convolution before it)');
    const layer = kind === 'add' ? new Add({ name: cv.unique(node.name) }) : new Multiply({ name: cv.unique(node.name) });
    return tensorValue(cv.apply(layer, [cv.tensor(a!, node), cv.tensor(b!, node)], node));
  };
}

/** FusedBatchNorm(V2, V3) in inference mode, folded into the conv before it. */
const fusedBatchNorm: Handler = (cv, node, refs, [x, ...params]) => {
  checkNhwc(node);
  if (bool(node, 'is_training', true)) throw nodeError(node, 'is_training is true; a frozen inference graph has is_training false');
  if (params.length < 4 || !params.every(isConst)) throw nodeError(node, 'scale, offset, mean and variance must be constants');
  const p = cv.foldTarget(refs[0]!, x!, node);
  const [gamma, beta, mean, variance] = (params as ConstValue[]).map((c) => perChannel(node, c, p.channels)) as [Float64Array, Float64Array, Float64Array, Float64Array];
  foldBatchNorm(p, { gamma, beta, mean, variance, epsilon: float(node, 'epsilon', 1e-4) });
  return p;
};

/** Pooling with TensorFlow's ksize, strides and padding. */
function pool(Pool: typeof AveragePooling2D | typeof MaxPooling2D): Handler {
  return (cv, node, _refs, [x]) => {
    checkNhwc(node);
    const layer = new Pool({ name: cv.unique(node.name), poolSize: spatial(node, 'ksize'), strides: spatial(node, 'strides'), padding: padding(node) });
    return tensorValue(cv.apply(layer, cv.tensor(x!, node), node));
  };
}

/** A Reshape layer to per-example `dims`, or the tensor itself when they are its own. */
function reshapeTo(cv: Converter, node: TfNode, t: SymbolicTensor, dims: readonly number[]): Value {
  const same = dims.length === t.shape.length - 1 && dims.every((d, i) => d === t.shape[i + 1]);
  return tensorValue(same ? t : cv.apply(new Reshape({ name: cv.unique(node.name), targetShape: dims }), t, node));
}

/** Reshape to a constant shape whose first entry is the batch (-1, or the graph's batch size). */
const reshape: Handler = (cv, node, _refs, [x, shape]) => {
  if (!shape || !isConst(shape)) throw nodeError(node, 'the target shape must be a constant');
  const dims = Array.from(shape.data);
  if (dims.length === 0 || (dims[0] !== -1 && dims[0] !== cv.graphBatch)) {
    throw nodeError(node, `target shape [${dims.join(', ')}] does not keep the batch dimension first (-1${cv.graphBatch > 0 ? ` or ${cv.graphBatch}` : ''})`);
  }
  const t = cv.tensor(x!, node);
  return reshapeTo(cv, node, t, dims.slice(1));
};

/** Squeeze of size-1 dims other than the batch (all of them when squeeze_dims is empty). */
const squeeze: Handler = (cv, node, _refs, [x]) => {
  const t = cv.tensor(x!, node);
  const rank = t.shape.length;
  const given = intList(node, 'squeeze_dims', []).map((a) => (a < 0 ? a + rank : a));
  if (given.includes(0)) throw nodeError(node, 'squeezes the batch dimension; tpusim models keep it');
  const axes = given.length > 0 ? given : t.shape.map((d, i) => (i > 0 && d === 1 ? i : -1)).filter((i) => i > 0);
  const bad = axes.find((a) => a >= rank || t.shape[a] !== 1);
  if (bad !== undefined) throw nodeError(node, `cannot squeeze dim ${bad} of [${t.shape.join(', ')}]`);
  return reshapeTo(cv, node, t, (t.shape.slice(1) as number[]).filter((_, i) => !axes.includes(i + 1)));
};

/** Identity passes its value on (a pending conv with other consumers becomes its layer first). */
const identity: Handler = (cv, node, [ref], [x]) => (x!.kind === 'pending' && cv.cut.consumers.get(ref!.name) !== 1 ? tensorValue(cv.tensor(x!, node)) : x!);

/** Every op the converter takes on tensors, by TensorFlow op type. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  Conv2D: convolution('conv'),
  DepthwiseConv2dNative: convolution('depthwise'),
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV2: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
  BiasAdd: binary('add', false),
  Add: binary('add', true),
  AddV2: binary('add', true),
  Sub: binary('sub', false),
  Mul: binary('mul', true),
  Relu: activationOp('relu'),
  Relu6: activationOp('relu6'),
  Softmax: activationOp('softmax'),
  AvgPool: pool(AveragePooling2D),
  MaxPool: pool(MaxPooling2D),
  Reshape: reshape,
  Squeeze: squeeze,
  Identity: identity,
};

/** Op types tpusim imports (on tensors, or on constants only, folded). */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set(['Const', 'Placeholder', ...Object.keys(HANDLERS), ...FOLDABLE]);

/** The model's input: the Placeholder's [N, H, W, C] (H = W = imageSize when given), then the optional Rescaling. */
function modelInput(cv: Converter, node: TfNode, o: ConvertOptions): { input: SymbolicTensor; x: SymbolicTensor } {
  const s = node.attrs.shape;
  const dims = s?.kind === 'shape' && s.value !== null ? s.value : null;
  if (dims === null || dims.length !== 4) throw nodeError(node, `has shape ${dims === null ? 'unknown' : `[${dims.join(', ')}]`}; tpusim imports image models, [N, H, W, C]`);
  cv.graphBatch = dims[0]!;
  const [h, w] = o.imageSize !== undefined ? [o.imageSize, o.imageSize] : [dims[1]!, dims[2]!];
  if (!(h > 0 && w > 0)) throw nodeError(node, `has shape [${dims.join(', ')}]: give the image size (--image-size)`);
  if (!(dims[3]! > 0)) throw nodeError(node, `has shape [${dims.join(', ')}]: the channel count must be known`);
  const x = input({ shape: [h, w, dims[3]!], name: cv.unique(node.name) });
  const scale = o.inputScale ?? 1;
  const offset = o.inputOffset ?? 0;
  if (scale === 1 && offset === 0) return { input: x, x };
  return { input: x, x: cv.apply(new Rescaling({ name: cv.unique(`${node.name}/rescaling`), scale, offset }), x, node) };
}

/**
 * Converts the part of `graph` between its input and output into a tpusim model whose
 * weights are the graph's (batch norms folded, see ./fold.ts).
 * @throws GraphImportError naming the node: unsupported ops (all at once), non-constant
 *   filters, unsupported attributes, shapes that do not fit
 * @example convertGraph(readGraphDef(bytes, 'mobilenet.pb'), { inputScale: 2, inputOffset: -1 }).summary()
 */
export function convertGraph(graph: TfGraph, o: ConvertOptions = {}): Model {
  const cut = cutGraph(graph, { ...(o.input !== undefined ? { input: o.input } : {}), ...(o.output !== undefined ? { output: o.output } : {}), supported: SUPPORTED_OPS });
  const cv = new Converter(cut);
  const { input: inputTensor, x } = modelInput(cv, cut.input, o);
  for (const node of cut.order) {
    if (node.op === 'Const') cv.set(node.name, constOf(node));
    else if (node.op === 'Placeholder') cv.set(node.name, tensorValue(x));
    else {
      const refs = dataInputs(node);
      const vals = refs.map((r) => cv.get(r, node));
      if (vals.every(isConst) && FOLDABLE.has(node.op)) cv.set(node.name, foldConst(node, vals));
      else cv.set(node.name, HANDLERS[node.op]!(cv, node, refs, vals));
    }
  }
  const y = cv.tensor(cv.get({ name: cut.output.name, index: 0 }, cut.output), cut.output);
  if (y === x) throw new GraphImportError(`the output '${cut.output.name}' is the input itself: nothing to import`);
  return new Model({ inputs: inputTensor, outputs: y, name: o.name ?? 'imported' });
}
