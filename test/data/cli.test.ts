/** The `records` and `flowers` commands, run as the real binary. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync('node', [bin, ...args], { encoding: 'utf8' });

describe('tpusim flowers synth + records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpusim-cli-'));

  it('writes synthetic shards, prints them like TensorFlow, and reports corruption', () => {
    const synth = run('flowers', 'synth', '--out', dir, '--count', '4', '--size', '16', '--shards', '2', '--workers', '0', '--json');
    expect(synth.status).toBe(0);
    expect(synth.stderr).toBe(''); // no progress bar without a terminal
    const files = (JSON.parse(synth.stdout) as { files: string[] }).files;
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['flowers00-2.tfrec', 'flowers01-2.tfrec']);

    // Corrupt a data byte of record 1 of the second shard.
    const bytes = readFileSync(files[1]!);
    const second = 16 + Number(bytes.readBigUInt64LE(0));
    bytes[second + 20]! ^= 0xff;
    const bad = join(dir, 'bad.tfrec');
    writeFileSync(bad, bytes);

    // A good file then a corrupt one: the records are printed, then the error (one line, exit 2).
    const text = run('records', files[0]!, bad, '--limit', '1');
    expect(text.stdout).toMatch(/^== .*flowers00-2\.tfrec record 0 \(byte 0, \d+ bytes\)\nfeatures \{/);
    expect(text.stdout).toContain('key: "label"\n    value {\n      bytes_list {\n        value: "daisy"');
    expect(text.stdout).toMatch(/value: <\d+ bytes> "\\377\\330\\377/);
    expect(text.stdout).toMatch(/flowers00-2\.tfrec: 2 records\n/);
    expect(text.stdout).toMatch(/bad\.tfrec: 1 records, then error: /);
    expect(text.status).toBe(2);
    expect(text.stderr.trim().split('\n')).toHaveLength(1);
    expect(text.stderr).toMatch(new RegExp(`bad\\.tfrec, record 1, byte ${second}: data crc mismatch`));

    // With --skip-corrupt the bad record is counted, not fatal.
    const skipped = run('records', bad, '--skip-corrupt', '--json');
    expect(skipped.status).toBe(0);
    const report = JSON.parse(skipped.stdout) as { records: number; corrupt: number; shown: { features: { label: unknown } }[] }[];
    expect(report[0]).toMatchObject({ records: 1, corrupt: 1 });
    expect(report[0]!.shown[0]!.features.label).toEqual({ bytes_list: [{ length: 5, text: 'roses' }] });
  });
});
