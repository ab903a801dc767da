/**
 * xla/hbm-bound is a lower bound of what the lowering holds in HBM (so a module refused on it
 * could never have fit), and is made of what is resident before the run and the largest value.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORE_CONFIG } from '../../src/tpu/index.ts';
import { EXAMPLES, compile, hbmLowerBound, kernelBudgetValues, lower, parse, planLowering } from '../../src/xla/index.ts';

const lowered = (m: ReturnType<typeof compile>['module']) => lower(m, { plan: planLowering(m, { budget: kernelBudgetValues(DEFAULT_CORE_CONFIG), core: DEFAULT_CORE_CONFIG }) });

describe('hbmLowerBound', () => {
  it.each([
    ['example-convnet', 8, 16],
    ['example-convnet', 2, 32],
    ['example-convnet-forward', 4, 24],
  ] as const)('%s (batch %i, %i px): at most what the lowered program holds in HBM', (name, batch, imageSize) => {
    const m = compile(EXAMPLES[name]({ batch, imageSize })).module;
    const b = hbmLowerBound(m);
    expect(b.bytes).toBe(b.residentBytes + b.largestBytes);
    expect(b.largest).not.toBeNull();
    expect(b.bytes).toBeGreaterThan(0);
    expect(b.bytes).toBeLessThanOrEqual(lowered(m).memory.hbm.total);
  });

  it('counts parameters and constants whole, the largest written value once, and no reshape', () => {
    const m = parse(`HloModule m
ENTRY %m {
  %x = f32[4,8]{1,0} parameter(0)
  %c = f32[4,8]{1,0} constant(1)
  %r = f32[32]{0} reshape(%x)
  %n = f32[32]{0} negate(%r)
  %s = f32[4,8]{1,0} reshape(%n)
  ROOT %a = f32[4,8]{1,0} add(%s, %c)
}`);
    const b = hbmLowerBound(m);
    expect(b.residentBytes).toBe(4 * (32 + 32));
    expect(b.largestBytes).toBe(4 * 32);
    expect(b.largest?.op).toBe('negate'); // the first of the largest; reshapes share buffers
  });
});
