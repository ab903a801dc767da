/**
 * `tpusim import`, in-process through runCli: a frozen graph built here becomes a model
 * folder that `tpusim predict` reads, with class names from --labels and the input range
 * as a Rescaling layer; --output cuts a feature extractor. Bad input ends with exit code 2
 * and one line naming the file, the option or the node.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCaptured } from './run-captured.ts';
import { encodeJpeg } from '../../src/data/index.ts';
import { loadModel, Rescaling } from '../../src/layers/index.ts';
import { encodeGraphDef } from '../../src/tfgraph/index.ts';
import { constF, convNodes, ints, node, placeholder, str } from '../tfgraph/graphs.ts';

const dir = mkdtempSync(join(tmpdir(), 'tpusim-import-'));
const p = (...parts: string[]): string => join(dir, ...parts);

/** input [1, 8, 8, 3] -> conv 3x3/2 + relu6 -> (features) -> avg pool -> 1x1 conv (3 classes) + bias -> squeeze -> softmax */
const GRAPH = [
  placeholder('input', [1, 8, 8, 3]),
  ...convNodes({ name: 'net/c0', x: 'input', op: 'Conv2D', filter: [3, 3, 3, 4], seed: 1, stride: 2 }),
  node('net/c0/Relu6', 'Relu6', ['net/c0/conv']),
  node('net/pool', 'AvgPool', ['net/c0/Relu6'], { ksize: ints([1, 4, 4, 1]), strides: ints([1, 1, 1, 1]), padding: str('VALID') }),
  ...convNodes({ name: 'net/logits', x: 'net/pool', op: 'Conv2D', filter: [1, 1, 4, 3], seed: 2 }),
  constF('net/logits/biases', [3], [0.5, -0.5, 0]),
  node('net/logits/BiasAdd', 'BiasAdd', ['net/logits/conv', 'net/logits/biases']),
  node('net/squeeze', 'Squeeze', ['net/logits/BiasAdd'], { squeeze_dims: ints([1, 2]) }),
  node('net/probs', 'Softmax', ['net/squeeze']),
];

beforeAll(() => {
  writeFileSync(p('g.pb'), encodeGraphDef({ nodes: GRAPH }));
  writeFileSync(p('labels.txt'), '0:background\n1:daisy\n2:tulip\n');
  writeFileSync(p('short.txt'), 'a\nb\n');
  writeFileSync(p('junk.pb'), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff]));
  writeFileSync(p('tanh.pb'), encodeGraphDef({ nodes: [placeholder('x', [1, 4, 4, 3]), node('t', 'Tanh', ['x']), node('e', 'Erf', ['t'])] }));
  writeFileSync(p('img.jpg'), encodeJpeg({ width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(120) }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('tpusim import', () => {
  it('writes a model folder that predict reads, with the labels as class names', async () => {
    const r = await runCaptured(['import', p('g.pb'), '--out', p('model'), '--labels', p('labels.txt')]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/g\.pb: 7 layers, 123 params, input \(None, 8, 8, 3\), output \(None, 3\), 3 class names\nsaved to /);
    expect(JSON.parse(readFileSync(p('model', 'classes.json'), 'utf8'))).toEqual(['background', 'daisy', 'tulip']);
    const m = await loadModel(p('model'));
    const scale = m.layers.find((l) => l instanceof Rescaling) as Rescaling;
    expect([scale.scale, scale.offset]).toEqual([2, -1]); // the default --input-range -1,1
    const pr = await runCaptured(['predict', p('model'), p('img.jpg'), '--json']);
    expect(pr.code).toBe(0);
    const top = (JSON.parse(pr.stdout) as { images: { top: { class: string; probability: number }[] }[] }).images[0]!.top;
    expect(top.map((t) => t.class).sort()).toEqual(['background', 'daisy', 'tulip']);
    expect(top.reduce((a, t) => a + t.probability, 0)).toBeCloseTo(1, 5);
  });

  it('--output cuts a feature extractor; --image-size and --input-range change the input', async () => {
    const r = await runCaptured(['import', p('g.pb'), '--out', p('features'), '--output', 'net/c0/Relu6', '--image-size', '16', '--input-range', '0,255', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ inputShape: [null, 16, 16, 3], outputShape: [null, 8, 8, 4], layers: 3 });
    const m = await loadModel(p('features'));
    expect((m.layers[1] as Rescaling).scale).toBe(255);
    expect(existsSync(p('features', 'classes.json'))).toBe(false);
  });

  it.each([
    [['import', 'nowhere.pb', '--out', 'x'], /^tpusim: cannot read 'nowhere\.pb': no such file\n$/],
    [['import', '@junk.pb', '--out', '@o1'], /^tpusim: .*junk\.pb: not a TensorFlow GraphDef/],
    [['import', '@tanh.pb', '--out', '@o2'], /^tpusim: .*tanh\.pb: 2 node\(s\) use ops tpusim cannot import: 't' \(Tanh\), 'e' \(Erf\) \(supported: /],
    [['import', '@g.pb', '--out', '@o3', '--output', 'net/missing'], /^tpusim: .*g\.pb: --output 'net\/missing': no node of that name in the graph\n$/],
    [['import', '@g.pb', '--out', '@o4', '--labels', '@short.txt'], /^tpusim: --labels '.*short\.txt' names 2 classes; the model has 3 outputs\n$/],
    [['import', '@g.pb', '--out', '@o5', '--input-range', '1,-1'], /^tpusim: --input-range must be two numbers LO,HI with LO < HI/],
    [['import', '@g.pb', '--out', '@o6', '--image-size', '2'], /^tpusim: .*g\.pb: node 'net\/pool' \(AvgPool\): .*pool height 4 is larger than the input's 1/],
    [['import', '@g.pb', '--out', '@g.pb'], /^tpusim: --out .*g\.pb: exists and is a file/],
  ])('%j: exit 2, one line', async (args, message) => {
    const r = await runCaptured(args.map((a) => (a.startsWith('@') ? p(a.slice(1)) : a)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
