/**
 * Every pass against the reference interpreter on random graphs: the passes here all
 * preserve evaluation order, so the outputs must be bit-identical.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import type { HloModule } from '../../src/xla/hlo.ts';
import { parse } from '../../src/xla/parse.ts';
import { algsimp } from '../../src/xla/passes/algsimp.ts';
import { dce } from '../../src/xla/passes/dce.ts';
import { im2col } from '../../src/xla/passes/im2col.ts';
import { fusion, fusionDecisions } from '../../src/xla/passes/fusion.ts';
import type { Pass } from '../../src/xla/pipeline.ts';
import { layout } from '../../src/xla/passes/layout.ts';
import { peakLiveBytes, schedule } from '../../src/xla/passes/schedule.ts';
import { STANDARD_PASSES, compile, estimate } from '../../src/xla/compiler.ts';
import { print } from '../../src/xla/print.ts';
import { verify } from '../../src/xla/verify.ts';
import { randomGraph } from './random-graph.ts';
import { convNetLoss, convNetTrainStep } from '../../src/xla/examples.ts';

/** Bits of every output, for exact comparison (NaN payloads included). */
export function outputBits(m: HloModule, args: readonly Float32Array[]): number[][] {
  return evaluate(m, args).map((l) => Array.from(new Uint32Array(l.data.buffer, l.data.byteOffset, l.data.length)));
}

/** Checks a pass (or passes in order) keeps every output bit on random graphs. */
export function checkPassExact(passes: readonly Pass[], seed: number, runs = 40): void {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e9 }), (s) => {
      const { module, args } = randomGraph(s, 10);
      let m = module;
      for (const p of passes) m = verify(p.run(m));
      expect(outputBits(m, args)).toEqual(outputBits(module, args));
    }),
    { seed, numRuns: runs },
  );
}

describe('simple passes', () => {
  it('dce, algsimp and im2col keep every output bit on random graphs', () => {
    checkPassExact([dce], 1);
    checkPassExact([algsimp, dce], 2);
    checkPassExact([im2col, dce], 3);
  });

  it('return the same object when nothing changes', () => {
    const b = new XlaBuilder('f');
    const x = b.parameter(0, f32([2]), 'x');
    const m = b.build(b.exp(x));
    for (const p of [dce, algsimp, im2col]) expect(p.run(m)).toBe(m);
  });

  it('algsimp folds transpose pairs and multiplies by one, but never x + 0', () => {
    const m = parse(`HloModule m
ENTRY %m {
  %x = f32[4,8]{1,0} parameter(0)
  %t = f32[8,4]{1,0} transpose(%x), dimensions={1,0}
  %u = f32[4,8]{1,0} transpose(%t), dimensions={1,0}
  %one = f32[4,8]{1,0} constant(1)
  %zero = f32[4,8]{1,0} constant(0)
  %p = f32[4,8]{1,0} multiply(%u, %one)
  ROOT %q = f32[4,8]{1,0} add(%p, %zero)
}`);
    const out = dce.run(algsimp.run(m));
    expect(out.entry.instructions.map((i) => i.op)).toEqual(['parameter', 'constant', 'add']);
  });

  it('im2col removes every convolution of a training step (forward, input and filter gradients), bit-exactly', () => {
    const m = dce.run(convNetTrainStep({ batch: 2, imageSize: 8, filters: [3, 4] }));
    const convs = m.entry.instructions.filter((i) => i.op === 'convolution').length;
    expect(convs).toBe(5); // 2 forward, 2 filter gradients, 1 input gradient (autodiff emits conv_1's too; DCE drops it)
    const out = verify(dce.run(im2col.run(m)));
    expect(out.entry.instructions.some((i) => i.op === 'convolution')).toBe(false);
    const params = m.entry.instructions.filter((i) => i.op === 'parameter');
    const args = params.map((p, k) => Float32Array.from({ length: p.shape.dims.reduce((a, c) => a * c, 1) }, (_, j) => Math.sin(j * 0.37 + k)));
    const ordered = params.map((p) => (p.op === 'parameter' ? p.attrs.index : 0));
    const byIndex = ordered.map((_, i) => args[ordered.indexOf(i)]!);
    expect(outputBits(out, byIndex)).toEqual(outputBits(m, byIndex));
  });
});

describe('fusion', () => {
  it('keeps every output bit on random graphs (alone and after im2col)', () => {
    checkPassExact([fusion], 4);
    checkPassExact([im2col, algsimp, dce, fusion], 5);
  });

  it('fuses bias + relu into the epilogue of the conv dot, and explains refusals', () => {
    const m = dce.run(im2col.run(convNetLoss({ batch: 2, imageSize: 16, filters: [3, 4] })));
    const fused = verify(fusion.run(m));
    const kinds = fused.entry.instructions.filter((i) => i.op === 'fusion').map((i) => (i.op === 'fusion' ? i.attrs.kind : ''));
    expect(kinds.filter((k) => k === 'output').length).toBeGreaterThanOrEqual(3); // two convs and the dense layer
    const refusals = fusionDecisions(m).filter((d) => !d.decision.ok);
    expect(refusals.some((d) => !d.decision.ok && /not elementwise|users outside/.test(d.decision.why))).toBe(true);
  });
});

describe('layout, schedule and the standard pipeline', () => {
  it('the whole pipeline keeps every output bit on random graphs', () => {
    checkPassExact(STANDARD_PASSES, 6, 30);
  });

  it('the DFS order never raises the peak of live values, and scheduling twice changes nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (s) => {
        const m = layout.run(randomGraph(s, 12).module);
        const out = schedule.run(m);
        expect(peakLiveBytes(out, out.entry.instructions)).toBeLessThanOrEqual(peakLiveBytes(m, m.entry.instructions));
        expect(schedule.run(out)).toBe(out);
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it('reuses memory on a chain: peak is far below the sum of all temporaries', () => {
    const b = new XlaBuilder('chain');
    let x = b.parameter(0, f32([64, 128]), 'x');
    for (let i = 0; i < 10; i++) x = b.tanh(x);
    const m = schedule.run(layout.run(b.build(x)));
    expect(peakLiveBytes(m, m.entry.instructions)).toBe(2 * 64 * 128 * 4);
    expect(print(m)).toContain('f32[64,128]{1,0:T(8,128)}');
  });

  it('compiles the example training step with fewer bytes moved and fewer cycles than unfused', () => {
    const m = convNetTrainStep({ batch: 8, imageSize: 16 });
    const fused = compile(m).module;
    const unfused = compile(m, { disable: ['fusion'] }).module;
    const [ef, eu] = [estimate(fused), estimate(unfused)];
    expect(ef.hbmBytes).toBeLessThan(eu.hbmBytes);
    expect(ef.cycles).toBeLessThan(eu.cycles);
  });
});
