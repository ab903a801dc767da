/**
 * transferModel on a tiny imported backbone (a GraphDef built here: conv + batch norm +
 * relu6, depthwise + relu6): the backbone is frozen, the head is global average pooling and
 * a dense softmax; a few Adam steps on 8 simulated cores change every head weight and leave
 * every backbone weight's bits as imported; unfreeze lets the backbone train too.
 */
import { describe, expect, it } from 'vitest';
import { adam, HEAD_LAYERS, LayerConfigError, tpuStrategy, transferModel, unfreeze } from '../../src/layers/index.ts';
import { convertGraph } from '../../src/tfgraph/index.ts';
import { convNodes, fusedBatchNorm, ints, node, placeholder, str, values, viaWire } from '../tfgraph/graphs.ts';

const backboneGraph = () =>
  viaWire([
    placeholder('input', [1, 8, 8, 3]),
    ...convNodes({ name: 'b/c0', x: 'input', op: 'Conv2D', filter: [3, 3, 3, 8], seed: 1, stride: 2 }),
    ...fusedBatchNorm('b/c0/bn', 'b/c0/conv', 8, 10),
    node('b/c0/Relu6', 'Relu6', ['b/c0/bn']),
    ...convNodes({ name: 'b/dw', x: 'b/c0/Relu6', op: 'DepthwiseConv2dNative', filter: [3, 3, 8, 1], seed: 2 }),
    node('b/dw/Relu6', 'Relu6', ['b/dw/conv']),
    node('b/pool', 'AvgPool', ['b/dw/Relu6'], { ksize: ints([1, 4, 4, 1]), strides: ints([1, 1, 1, 1]), padding: str('VALID') }),
    node('b/squeeze', 'Squeeze', ['b/pool'], { squeeze_dims: ints([1, 2]) }),
    node('b/softmax', 'Softmax', ['b/squeeze']),
  ]);

/** 16 images and labels 0..4, one global batch of 2 per core on 8 cores. */
function batches(steps: number): { xs: Float32Array; ys: Float32Array }[] {
  return Array.from({ length: steps }, (_, s) => ({ xs: Float32Array.from(values(100 + s, 16 * 8 * 8 * 3, 0, 1)), ys: Float32Array.from({ length: 16 }, (_, i) => (i + s) % 5) }));
}

describe('transferModel', () => {
  it('trains the head only: backbone bits unchanged, head weights changed (8 cores)', async () => {
    const backbone = convertGraph(backboneGraph(), { output: 'b/dw/Relu6', inputScale: 2, inputOffset: -1 });
    const m = transferModel(backbone, { classes: 5 });
    expect(m.layers.map((l) => l.name).slice(-2)).toEqual([HEAD_LAYERS.pool, HEAD_LAYERS.dense]);
    expect(m.trainableWeights.map((w) => w.fullName)).toEqual([`${HEAD_LAYERS.dense}/kernel`, `${HEAD_LAYERS.dense}/bias`]);
    const before = new Map(m.weights.map((w) => [w.fullName, Float32Array.from(w.value!)]));
    m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], strategy: tpuStrategy({ cores: 8, threads: 1 }) });
    const h = await m.fit(batches(3), { epochs: 1 });
    await m.trainer!.close();
    expect(h.steps).toEqual([3]);
    for (const w of m.weights) {
      const changed = w.value!.some((v, i) => v !== before.get(w.fullName)![i]);
      expect([w.fullName, changed]).toEqual([w.fullName, w.layer.name.startsWith('head/')]);
    }
  });

  it('unfreeze: a second phase trains the backbone too', async () => {
    const m = transferModel(convertGraph(backboneGraph(), { output: 'b/dw/Relu6' }));
    const kernel = m.getLayer('b/c0').weights[0]!;
    const before = Float32Array.from(kernel.value!);
    unfreeze(m);
    m.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', strategy: tpuStrategy({ cores: 8, threads: 1 }) });
    await m.fit(batches(1), { epochs: 1 });
    await m.trainer!.close();
    expect(kernel.value!.some((v, i) => v !== before[i])).toBe(true);
  });

  it('a backbone that outputs class scores is refused with the way out', () => {
    expect(() => transferModel(convertGraph(backboneGraph()))).toThrow(LayerConfigError);
    expect(() => transferModel(convertGraph(backboneGraph()))).toThrow(/the backbone 'imported' outputs \(None, 8\); .*cut the network before its classifier \(tpusim import --output NODE\)/);
  });
});
