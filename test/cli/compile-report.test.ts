/**
 * `tpusim compile` prints a short report by default (counts, memory, the top ops, totals) and
 * the whole HLO before and after, with the pass log, only with --dump or --dump-after.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';

/** Runs the CLI in this process; what it printed on stdout, after checking it succeeded. */
async function stdoutOf(args: string[]): Promise<string> {
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    expect(await runCli(args)).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return out.join('');
}

describe('tpusim compile report', () => {
  it('is short by default: counts, memory, top ops and totals, no HLO', async () => {
    const text = await stdoutOf(['compile', 'example-convnet-forward', '--top', '3']);
    expect(text).toMatch(/^example-convnet-forward: \d+ HLO instructions before the passes, \d+ after \(--dump prints them and the pass log\)\n/);
    expect(text).toMatch(/\npredicted cycles per op \(top 3 of \d+\)\n/);
    expect(text).toMatch(/\nper step: \d+ cycles/);
    expect(text).not.toContain('===');
    expect(text).not.toContain('parameter(0)');
    expect(text.split('\n').length).toBeLessThan(15);
  });

  it('--dump adds the HLO before and after and the pass log; --dump-after also does', async () => {
    const dumped = await stdoutOf(['compile', 'example-convnet-forward', '--top', '3', '--dump']);
    expect(dumped).toMatch(/^=== HLO before passes \(\d+ instructions\) ===\nHloModule /);
    expect(dumped).toMatch(/\n=== HLO after passes \(\d+ instructions\) ===\n/);
    expect(dumped).toContain('\npass          changed  instructions      ms\n');
    expect(dumped).toContain((await stdoutOf(['compile', 'example-convnet-forward', '--top', '3'])).split('\n').slice(1).join('\n'));
    const after = await stdoutOf(['compile', 'example-convnet-forward', '--top', '3', '--dump-after', 'fusion']);
    expect(after).toMatch(/^=== HLO before passes[^]*\n=== after fusion ===\n[^]*\n=== HLO after passes/);
  });
});
