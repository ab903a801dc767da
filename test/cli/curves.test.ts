import { describe, expect, it } from 'vitest';
import { escapeXml, niceTicks, trainingCurvesSvg } from '../../src/cli/curves.ts';
import type { History } from '../../src/layers/index.ts';

interface Element {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: Element[];
  text: string;
}

/**
 * A strict little XML reader (enough for what curves.ts writes): every byte must belong to a
 * declaration, a tag with quoted attributes, or text whose `&` starts a known entity; tags
 * must balance and there must be one root. Throws on anything else.
 */
function parseXml(xml: string): Element {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const root: Element = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: Element[] = [root];
  let at = 0;
  for (let m = token.exec(body); m; m = token.exec(body)) {
    at = token.lastIndex;
    const [, close, name, attrText, selfClose, text] = m;
    const top = stack[stack.length - 1]!;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bare & in text '${text}'`);
      top.text += text;
    } else if (close) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const attrs = Object.fromEntries([...attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
      for (const v of Object.values(attrs)) if (/&(?!(amp|lt|gt|quot|apos);)/.test(v)) throw new Error(`bare & in attribute '${v}'`);
      const el: Element = { name: name!, attrs, children: [], text: '' };
      top.children.push(el);
      if (!selfClose) stack.push(el);
    }
  }
  if (at !== body.length) throw new Error(`not XML at offset ${at}: '${body.slice(at, at + 40)}'`);
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  const elements = root.children;
  if (elements.length !== 1 || elements[0]!.name !== 'svg') throw new Error('one <svg> root expected');
  return elements[0]!;
}

function all(el: Element, name: string): Element[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

function polylines(svg: Element): Map<string, [number, number][]> {
  return new Map(
    all(svg, 'polyline').map((p) => [p.attrs['data-series']!, p.attrs.points!.split(' ').map((xy) => xy.split(',').map(Number) as [number, number])]),
  );
}

function history(h: { loss: number[]; accuracy: number[]; val_loss?: number[]; val_accuracy?: number[] }): History {
  const n = h.loss.length;
  return {
    epoch: Array.from({ length: n }, (_, i) => i),
    history: { loss: h.loss, accuracy: h.accuracy, val_loss: h.val_loss ?? [], val_accuracy: h.val_accuracy ?? [] },
    deviceSeconds: new Array<number>(n).fill(0.01),
    hostSeconds: new Array<number>(n).fill(1),
    steps: new Array<number>(n).fill(10),
  };
}

describe('trainingCurvesSvg', () => {
  it('draws train and validation loss and accuracy as four polylines, one point per epoch', () => {
    const svg = trainingCurvesSvg(
      history({ loss: [2.3, 1.7, 1.2, 0.9, 0.7], accuracy: [0.1, 0.3, 0.5, 0.6, 0.7], val_loss: [2.0, 1.6, 1.3, 1.1, 1.0], val_accuracy: [0.2, 0.3, 0.45, 0.5, 0.55] }),
      { model: 'squeeze-fast' },
    );
    const root = parseXml(svg);
    const lines = polylines(root);
    expect([...lines.keys()]).toEqual(['loss train', 'loss validation', 'accuracy train', 'accuracy validation']);
    for (const pts of lines.values()) expect(pts).toHaveLength(5);
    expect(all(root, 'circle')).toHaveLength(20);
    expect(all(root, 'title')[0]!.text).toBe('training curves: squeeze-fast');
    const texts = all(root, 'text').map((t) => t.text);
    expect(texts).toEqual(expect.arrayContaining(['loss', 'accuracy', 'epoch', 'train', 'validation', '1', '5', '0', '0.2', '1', '2.5']));
    // loss falls: y grows downwards in SVG; x grows with the epoch
    const train = lines.get('loss train')!;
    for (let i = 1; i < train.length; i++) {
      expect(train[i]![0]).toBeGreaterThan(train[i - 1]![0]);
      expect(train[i]![1]).toBeGreaterThan(train[i - 1]![1]);
    }
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('puts accuracy on a 0..1 axis: 0 at the bottom, 1 at the top of the panel', () => {
    const root = parseXml(trainingCurvesSvg(history({ loss: [1, 0.5], accuracy: [0, 1] })));
    const [p0, p1] = polylines(root).get('accuracy train')!;
    const frame = all(root, 'rect').find((r) => r.attrs.fill === 'none' && Number(r.attrs.x) > 400)!;
    const top = Number(frame.attrs.y);
    const bottom = top + Number(frame.attrs.height);
    expect(p0![1]).toBeCloseTo(bottom, 0);
    expect(p1![1]).toBeCloseTo(top, 0);
  });

  it('handles one epoch, no validation, and NaN or infinite values by skipping them', () => {
    const one = parseXml(trainingCurvesSvg(history({ loss: [1.5], accuracy: [0.25] })));
    expect([...polylines(one).keys()]).toEqual(['loss train', 'accuracy train']);
    expect(all(one, 'circle')).toHaveLength(2);
    expect(all(one, 'text').map((t) => t.text)).not.toContain('validation');

    const svg = trainingCurvesSvg(history({ loss: [2, NaN, Infinity, 1], accuracy: [0.1, NaN, 0.4, 0.5], val_loss: [NaN, NaN, NaN, NaN], val_accuracy: [0.2, 0.3, -Infinity, 0.5] }));
    const lines = polylines(parseXml(svg));
    expect(lines.get('loss train')).toHaveLength(2);
    expect(lines.has('loss validation')).toBe(false);
    expect(lines.get('accuracy train')).toHaveLength(3);
    expect(lines.get('accuracy validation')).toHaveLength(3);
    expect(svg).not.toMatch(/NaN|Infinity/);

    const empty = trainingCurvesSvg(history({ loss: [], accuracy: [] }));
    expect(all(parseXml(empty), 'polyline')).toHaveLength(0);
    expect(empty).not.toMatch(/NaN|Infinity/);
  });

  it('escapes the title', () => {
    const svg = trainingCurvesSvg(history({ loss: [1], accuracy: [0.5] }), { model: `<a & "b">` });
    expect(all(parseXml(svg), 'title')[0]!.text).toBe('training curves: &lt;a &amp; &quot;b&quot;&gt;');
    expect(escapeXml(`'`)).toBe('&apos;');
  });

  it('the reader used here rejects broken XML', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow(/closes/);
    expect(() => parseXml('<svg>a & b</svg>')).toThrow(/bare &/);
    expect(() => parseXml('<svg x=1></svg>')).toThrow(/not XML/);
  });
});

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 2.3, 5)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 20, 10)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
});
