import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, activation, conv2d, dense, flatten, globalAveragePooling2d, inactiveOutputUnits, input, model, preset, reluHead } from '../../src/layers/index.ts';

/** input [2, 2, 1] -> 1x1 conv of 3 filters, ReLU -> global average pooling -> softmax. */
function tiny() {
  const x = input({ shape: [2, 2, 1] });
  const conv = conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'scores_conv' });
  const m = model({ inputs: x, outputs: activation({ activation: 'softmax' }).apply(globalAveragePooling2d().apply(conv.apply(x))) });
  return { m, conv };
}

describe('reluHead', () => {
  it("finds squeeze-fast's ReLU conv before pooling and softmax, as the codelab builds it", () => {
    const head = reluHead(preset('squeeze-fast', { imageSize: 32 }));
    expect(head?.path).toHaveLength(2);
    expect(head?.scores.shape).toEqual([null, 5]);
  });

  it('no other preset has one (their class scores come from a linear dense layer)', () => {
    for (const name of PRESET_NAMES.filter((n) => n !== 'squeeze-fast')) expect(reluHead(preset(name, { imageSize: 32 })), name).toBeUndefined();
  });

  it('a dense ReLU before the softmax counts; a linear one does not', () => {
    const x = input({ shape: [4] });
    expect(reluHead(model({ inputs: x, outputs: activation({ activation: 'softmax' }).apply(dense({ units: 3, activation: 'relu' }).apply(x)) }))).toBeDefined();
    const y = input({ shape: [2, 2, 1] });
    expect(reluHead(model({ inputs: y, outputs: activation({ activation: 'softmax' }).apply(dense({ units: 3 }).apply(flatten().apply(y))) }))).toBeUndefined();
  });
});

describe('inactiveOutputUnits', () => {
  it('names the units at 0 for the images, at the weights the model holds now', async () => {
    const { m, conv } = tiny();
    conv.kernel!.value = Float32Array.of(1, -1, 1); // positive pixels: unit 1 is always 0
    conv.bias!.value = Float32Array.of(0, 0, -0.5); // unit 2 is 0 where the mean pixel <= 0.5
    const xs = Float32Array.of(...[0.1, 0.1, 0.1, 0.1], ...[0.2, 0.2, 0.2, 0.2], ...[0.3, 0.3, 0.3, 0.3], ...[0.9, 0.9, 0.9, 0.9]);
    const r = await inactiveOutputUnits(m, xs, { threshold: 0.75 });
    expect(r?.images).toBe(4);
    expect(r?.zeroFraction).toEqual([0, 1, 0.75]);
    expect(r?.units).toEqual([1, 2]);
    conv.kernel!.value = Float32Array.of(1, 1, 1);
    conv.bias!.value = Float32Array.of(0, 0, 0);
    expect((await inactiveOutputUnits(m, xs))?.units).toEqual([]);
  });

  it('undefined for a model without a ReLU head', async () => {
    expect(await inactiveOutputUnits(preset('little-squeeze', { imageSize: 16 }), new Float32Array(16 * 16 * 3))).toBeUndefined();
  });
});
