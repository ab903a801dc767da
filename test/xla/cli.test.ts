import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;

describe('tpusim compile', () => {
  it('compiles an .hlo file and reports passes, memory and cycles as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpusim-xla-'));
    const file = join(dir, 'mlp.hlo');
    writeFileSync(
      file,
      `HloModule mlp
ENTRY %mlp {
  %x = f32[32,784]{1,0} parameter(0)
  %w = f32[784,128]{1,0} parameter(1)
  %b = f32[128]{0} parameter(2)
  %d = f32[32,128]{1,0} dot(%x, %w), lhs_contracting_dims={1}, rhs_contracting_dims={0}, metadata={source="dense_1"}
  %bb = f32[32,128]{1,0} broadcast(%b), dimensions={1}
  %s = f32[32,128]{1,0} add(%d, %bb)
  %z = f32[32,128]{1,0} constant(0)
  ROOT %r = f32[32,128]{1,0} maximum(%s, %z)
}
`,
    );
    const r = spawnSync('node', [bin, 'compile', file, '--json', '--dump-after', 'fusion', '--simulate'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { after: string; dumps: { pass: string }[]; memory: { hbm: { scratch: number; parameters: number }; vmem: number }; estimate: { cycles: number; ops: { op: string }[] }; simulated: { totalCycles: number; busyCycles: { mxu: number }; byOp: { owner: string }[] } };
    expect(out.dumps.map((d) => d.pass)).toEqual(['fusion']);
    expect(out.estimate.ops.map((o) => o.op)).toEqual(['fusion:output']);
    expect(out.after).toContain('kind=output');
    expect(out.memory.hbm.scratch).toBe(32 * 128 * 4); // the fused result: nothing else is stored
    expect(out.memory.vmem).toBeGreaterThan(0);
    const plan = spawnSync('node', [bin, 'compile', file, '--dump-after', 'lowering-plan'], { encoding: 'utf8' });
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/=== after lowering-plan ===[^]*fusion\(%x.0, %w.1, %b.2\)[^]*\n      # lower: kernel: (whole|streamed|chunked): /);
    expect(out.estimate.cycles).toBeGreaterThan(0);
    expect(out.simulated.busyCycles.mxu).toBeGreaterThan(0);
    expect(out.simulated.totalCycles).toBeGreaterThanOrEqual(out.simulated.busyCycles.mxu);
    expect(out.simulated.byOp[0]!.owner).toMatch(/fusion/);
  });

  it('compiles the gradient step of a layers model preset', () => {
    const r = spawnSync('node', [bin, 'compile', 'dense', '--batch', '4', '--image-size', '8', '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { instructionsAfter: number; estimate: { cycles: number } };
    expect(out.instructionsAfter).toBeGreaterThan(0);
    expect(out.estimate.cycles).toBeGreaterThan(0);
  });

  it('rejects an unknown input with one line and exit code 2', () => {
    const r = spawnSync('node', [bin, 'compile', 'no-such-model'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/neither a file, a model preset \(.*\) nor a built-in example \(example-convnet, example-convnet-forward\)/);
  });
});
