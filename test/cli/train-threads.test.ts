import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;

interface Report {
  threads: number;
  cores: number;
  history: { history: Record<string, number[]>; deviceSeconds: number[]; steps: number[] };
}

describe('tpusim train --threads', () => {
  it('gives the same history on 1 and 2 host threads, and exits when training ends', () => {
    const run = (threads: string): Report => {
      const args = [bin, 'train', '--model', 'squeeze-fast', '--image-size', '16', '--count', '16', '--batch', '8', '--cores', '2', '--epochs', '1', '--steps-per-epoch', '2', '--validation-steps', '1', '--threads', threads, '--out', join(mkdtempSync(join(tmpdir(), 'tpusim-run-')), 'run'), '--json'];
      // a worker left running would keep the process alive past the timeout
      return JSON.parse(execFileSync('node', args, { encoding: 'utf8', timeout: 60_000 })) as Report;
    };
    const one = run('1');
    const two = run('2');
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect(two.history.history).toEqual(one.history.history);
    expect(two.history.deviceSeconds).toEqual(one.history.deviceSeconds);
    expect(two.history.steps).toEqual([2]);
  });

  it('rejects a bad thread count with one line, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['--threads', '0'], /--threads must be a positive integer or 'auto', got '0'/],
      [['--threads', '1.5'], /--threads must be a positive integer or 'auto', got '1.5'/],
      [['--threads', '3', '--cores', '2'], /--threads 3 is more than --cores 2 \(a host thread simulates at least one core\)/],
    ];
    for (const [extra, message] of cases) {
      const r = spawnSync('node', [bin, 'train', '--model', 'dense', '--batch', '8', ...extra], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
