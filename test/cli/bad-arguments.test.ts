/**
 * Every subcommand with bad or hostile arguments, run in-process through `runCli` (the
 * function the `tpusim` binary calls): each must end with exit code 2, one line on stderr
 * naming the problem (commander's own parse errors: its line plus the help hint), no stack
 * trace, and, with --json, nothing but valid JSON (or nothing) on stdout. Each refusal comes
 * before any work: the table runs in a few seconds. The host memory limit is pinned to
 * 2 GiB (TPUSIM_MAX_MEMORY) so the refusals do not depend on the machine.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorReport } from '../../src/cli/errors.ts';
import { runCaptured } from './run-captured.ts';
import { encodeJpeg } from '../../src/data/index.ts';
import { dense, flatten, saveModel, sequential } from '../../src/layers/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tpusim-bad-args-'));
const p = (...parts: string[]): string => join(dir, ...parts);

/** A small JPEG whose frame header claims `width` x `height`. */
function forgedJpeg(width: number, height: number): Uint8Array {
  const bytes = Uint8Array.from(encodeJpeg({ width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3).fill(90) }));
  const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
  bytes.set([height >> 8, height & 255, width >> 8, width & 255], sof + 5);
  return bytes;
}

let savedLimit: string | undefined;
beforeAll(async () => {
  savedLimit = process.env.TPUSIM_MAX_MEMORY;
  process.env.TPUSIM_MAX_MEMORY = '2GiB';
  mkdirSync(p('folder'));
  writeFileSync(p('file'), 'x');
  symlinkSync(p('file'), p('link'));
  writeFileSync(p('garbage.hlo'), 'this is not HLO\n');
  mkdirSync(p('empty-class', 'daisy'), { recursive: true });
  mkdirSync(p('split', 'daisy'), { recursive: true });
  writeFileSync(p('split', 'daisy', 'a.jpg'), encodeJpeg({ width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(50) }));
  writeFileSync(p('split', 'SPLIT.txt'), 'daisy/a.jpg\nbad\u0000line\u001b[31m\n');
  for (const c of ['daisy', 'roses']) {
    mkdirSync(p('few', c), { recursive: true });
    for (const f of ['a', 'b', 'c']) writeFileSync(p('few', c, `${f}.jpg`), encodeJpeg({ width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(c === 'daisy' ? 50 : 150) }));
  }
  mkdirSync(p('empty-shard'));
  writeFileSync(p('empty-shard', 'flowers00-0.tfrec'), '');
  writeFileSync(p('forged.jpg'), forgedJpeg(8000, 8000));
  writeFileSync(p('corrupt.tfrec'), new Uint8Array(40).fill(7));
  const m = sequential([flatten({ inputShape: [8, 8, 3] }), dense({ units: 5, activation: 'softmax' })], { name: 'tiny' });
  await saveModel(m, p('model'));
});
afterAll(() => {
  if (savedLimit === undefined) delete process.env.TPUSIM_MAX_MEMORY;
  else process.env.TPUSIM_MAX_MEMORY = savedLimit;
  rmSync(dir, { recursive: true, force: true });
});


/** [arguments, what stderr must say]. Paths are made in `dir` before the table runs. */
const TABLE: (() => [string[], RegExp])[] = [
  // matmul: limits, numbers, outputs
  () => [['matmul', '-m', '20000', '-k', '20000', '-n', '20000', '--json'], /matmul 20000 x 20000 x 20000 on the WASM kernel needs about 4\.47 GiB .*the limit is 4\.00 GiB, WASM's 4 GiB/],
  () => [['matmul', '-m', '20000', '-k', '20000', '-n', '20000', '--backend', 'js', '--json'], /matmul 20000 x 20000 x 20000 needs about 4\.47 GiB .*the limit is 2\.00 GiB, the host memory limit TPUSIM_MAX_MEMORY/],
  () => [['matmul', '-m', '200000', '-k', '200000', '-n', '1'], /A \[200000, 200000\] has 4\.000e\+10 values: more than one JavaScript array holds/],
  () => [['matmul', '-m', '4', '-k', '4', '-n', '4', '--threads', '1000', '--json'], /--threads 1000 would start 1000 host threads, about 9\.77 GiB .*limit of 64 threads/],
  () => [['matmul', '-m', '128', '-k', '128', '-n', '128', '--array', '4096x4096', '--stepped'], /stepped 4096 x 4096 array .* 2\.08e\+11 PE-updates .*more than the limit of 2e\+10/],
  () => [['matmul', '-m', '4', '-k', '4', '-n', '4', '--array', '99999999999x2', '--stepped'], /stepped 99999999999 x 2 array on 4 x 4 x 4 needs about .*the limit is 2\.00 GiB/],
  () => [['matmul', '-m', '4', '-k', '4', '-n', '0'], /-n must be a positive integer, got '0'/],
  () => [['matmul', '-m', '0x10', '-k', '4', '-n', '4'], /-m must be a positive integer, got '0x10'/],
  () => [['matmul', '-m', '4', '-k', '4', '-n', '4', '--seed', '0', '--json'], /--seed must be a positive integer, got '0'/],
  () => [['matmul', '--a', p('a.npy'), '--b', p('b.npy'), '--out', p('folder')], /--out .*folder: exists and is a folder/],
  () => [['matmul', '--a', p('a.npy'), '--b', p('b.npy'), '--out', p('link')], /--out .*link: exists and is a symbolic link/],
  () => [['matmul', '--a', p('a.npy'), '--b', p('b.npy'), '--out', '/dev/null'], /--out \/dev\/null: exists and is a device/],
  () => [['matmul', '--a', p('a.npy'), '--b', p('b.npy'), '--out', p('nowhere', 'c.npy')], /--out .*c\.npy: no folder .*nowhere to write it in/],
  () => [['matmul', '-m', '4', '-k', '4', '-n', '4', '--array', '12'], /--array must look like 128x128/],
  () => [['matmul', '-m', '4', '-k', '4', '-n', '4', '--precision', 'ultra', '--json'], /--precision must be one of default, high, highest/],
  () => [['matmul', '--a', p('folder'), '--b', p('file')], /folder/],
  // systolic
  () => [['systolic', '--rows', '100000', '--cols', '100000', '--json'], /stepped 100000 x 100000 array .* needs about 298 GiB .*the limit is 2\.00 GiB/],
  () => [['systolic', '--rows', '2', '--cols', '99999999999'], /stepped 2 x 99999999999 array .* needs about/],
  () => [['systolic', '--seed=-1'], /--seed must be a positive integer, got '-1'/],
  () => [['systolic', '--trace', '--rows', '64', '--cols', '64'], /--trace draws arrays of at most 256 PEs/],
  // allreduce
  () => [['allreduce', '--bytes', '1GiB', '--mode', 'data', '--json'], /--mode data over 8 cores needs about 9\.00 GiB .*the limit is 2\.00 GiB/],
  () => [['allreduce', '--bytes', '1TB'], /--bytes 1TB per core needs about 931 GiB; the limit is 8\.00 GiB, a simulated core's HBM/],
  () => [['allreduce', '--bytes', '6'], /--bytes must be a multiple of 4 bytes/],
  () => [['allreduce', '--bytes', '0x10', '--json'], /--bytes must be a whole number of bytes, like 4096, 4MB or 1GiB; got '0x10'/],
  () => [['allreduce', '--cores', '100000'], /--cores must be in 1\.\.512/],
  // train: refused before any folder is made or any training
  () => [['train', '--image-size', '2048', '--out', p('r1')], /--image-size 2048 is more than 1024/],
  () => [['train', '--image-size', '1024', '--out', p('r2'), '--json'], /training squeeze-fast at 1024 px, 16 images per core on 8 simulated cores needs about .*the limit is 2\.00 GiB/],
  () => [['train', '--lr', '0x10', '--out', p('r3')], /--lr must be a positive number, got '0x10'/],
  () => [['train', '--seed', '0', '--out', p('r4')], /--seed must be a positive integer, got '0'/],
  () => [['train', '--save', p('file'), '--out', p('r5')], /--save .*file: exists and is not a folder/],
  () => [['train', '--threads', '1000', '--out', p('r6')], /--threads 1000 is more than --cores 8/],
  () => [['train', '--augment', 'rotate', '--out', p('r9')], /--augment must be one of none, flip, flip-zoom; got 'rotate'/],
  () => [['train', '--data', p('few'), '--image-size', '32', '--out', p('r7')], /few has 6 training images, less than one global batch of 128 \(8 cores x 16\): not one step would run/],
  () => [['train', '--data', p('few'), '--image-size', '32', '--limit', '2', '--cores', '1', '--batch', '4', '--out', p('r8')], /--limit 2 leaves 2 training images, less than one global batch of 4/],
  // compile
  () => [['compile', 'convnet', '--batch', '64', '--image-size', '1024', '--simulate', '--json'], /compiling convnet: the program needs about 8\.75 GiB .*the limit is 8\.00 GiB, a simulated core's HBM/],
  () => [['compile', 'convnet', '--image-size', '100000'], /model convnet at 100000 px with 5 classes needs about .* weights/],
  () => [['compile', p('folder')], /'.*folder' is a folder, not an \.hlo file/],
  () => [['compile', p('missing.hlo')], /'.*missing\.hlo' is neither a file, a model preset/],
  () => [['compile', p('garbage.hlo'), '--json'], /garbage\.hlo: line 1: expected 'HloModule <name>'/],
  () => [['compile', 'example-convnet', '--dump-after', 'bogus'], /--dump-after must be 'all', 'lowering-plan' or one of/],
  // summary
  () => [['summary', 'dense', '--classes', '1000000000', '--json'], /model dense at 192 px with 1000000000 classes needs about 190 GiB \(51,055,321,550 weights: f32 weights\); the limit is 2\.00 GiB/],
  () => [['summary', 'dense', '--image-size', '100000'], /model dense at 100000 px .* needs about 54\.6 TiB/],
  () => [['summary', 'resnet'], /MODEL must be one of dense, convnet/],
  // records
  () => [['records', p('folder'), '--json'], /'.*folder' is a directory, not a TFRecord file/],
  () => [['records', p('missing.tfrec')], /cannot open '.*missing\.tfrec': no such file/],
  () => [['records', p('corrupt.tfrec'), '--json'], /corrupt\.tfrec, record 0, byte 0/],
  // flowers
  () => [['flowers', 'synth', '--out', p('file')], /--out .*file: exists and is a file, not a folder/],
  () => [['flowers', 'synth', '--out', p('s1'), '--size', '100000', '--json'], /--size 100000 is more than 65535, the largest side a JPEG can hold/],
  () => [['flowers', 'synth', '--out', p('s2'), '--size', '20000'], /--size 20000 needs about 29\.8 GiB \(2 image\(s\) of 20000 x 20000 in flight/],
  () => [['flowers', 'synth', '--out', p('s3'), '--workers', '1000'], /--workers 1000 would start 1000 host threads/],
  () => [['flowers', 'synth', '--out', p('s4'), '--seed', '0'], /--seed must be a positive integer, got '0'/],
  () => [['flowers', 'prepare', '--src', p('empty-class'), '--out', p('s5'), '--json'], /class folder '.*daisy' holds no \.jpg files/],
  () => [['flowers', 'prepare', '--src', p('split'), '--out', p('s6'), '--shards', '1', '--workers', '0'], /SPLIT\.txt:2: expected 'class\/file\.jpg', got 'bad\\x00line\\x1b\[31m'/],
  () => [['flowers', 'info', '--src', p('empty-shard')], /shard '.*flowers00-0\.tfrec' is empty \(0 bytes\)/],
  () => [['flowers', 'info', '--src', p('missing'), '--json'], /cannot read the flowers folder '.*missing'/],
  // evaluate, predict
  () => [['evaluate', p('folder'), '--data', 'synthetic'], /'.*folder' holds no saved model/],
  () => [['evaluate', p('model'), '--data', 'synthetic', '--workers', '1000', '--json'], /--workers 1000 would start 1000 host threads/],
  () => [['evaluate', p('model'), '--data', 'synthetic', '--batch', '100000000'], /--batch 100000000 at 8 px needs about 143 GiB/],
  () => [['predict', p('model'), p('forged.jpg'), '--json'], /forged\.jpg': the JPEG declares 8000 x 8000 pixels \(64\.0 MP\), more than the 24 MP decoded at most/],
  () => [['predict', p('model'), p('folder')], /'.*folder' is a directory, not a JPEG file/],
  // device, numerics, the program itself
  () => [['device', '--config', 'v9-8', '--json'], /--config must be one of/],
  () => [['numerics', '--subnormals', 'maybe'], /--subnormals must be one of flush, keep/],
  () => [['nosuchcommand'], /unknown command 'nosuchcommand'/],
  () => [['matmul', '--bogus'], /unknown option '--bogus'/],
];

describe('every subcommand refuses bad arguments with one line, exit 2, before any work', () => {
  it(`${TABLE.length} bad invocations`, async () => {
    const failures: string[] = [];
    for (const row of TABLE) {
      const [args, message] = row();
      const t0 = performance.now();
      const r = await runCaptured(args);
      const ms = performance.now() - t0;
      const lines = r.stderr.trimEnd().split('\n');
      const commander = /^error: /.test(r.stderr);
      const problems = [
        r.code !== 2 && `exit code ${r.code}`,
        /^\s+at .+[:(]\d+/m.test(r.stderr) && 'a stack trace',
        lines.length > (commander ? 2 : 1) && `${lines.length} lines`,
        !commander && !r.stderr.startsWith('tpusim: ') && "no 'tpusim: ' prefix",
        !message.test(r.stderr) && `not ${message}`,
        /[\x00-\x08\x0b-\x1f]/.test(r.stderr) && 'raw control bytes',
        args.includes('--json') && r.stdout.trim() !== '' && !isJson(r.stdout) && 'stdout is not JSON',
        ms > 5000 && `took ${ms.toFixed(0)} ms`,
      ].filter(Boolean);
      if (problems.length > 0) failures.push(`tpusim ${args.join(' ')}: ${problems.join(', ')}\n  stderr: ${r.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
    for (const r of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 's1', 's2', 's3', 's4', 's5', 's6']) expect(() => rmSync(p(r)), `${r} was created`).toThrow(/ENOENT/);
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('the top-level handler', () => {
  it('an internal error is one line with the --debug hint, exit 1; --debug adds the stack', () => {
    const r = errorReport(new RangeError('Invalid typed array length: 40000000000'));
    expect(r.exitCode).toBe(1);
    expect(r.line).toBe('tpusim: internal error: RangeError: Invalid typed array length: 40000000000 (a bug in tpusim; rerun with --debug for the stack)');
    expect(r.stack).toMatch(/^RangeError: Invalid typed array length[\s\S]*\n\s+at /);
  });

  it('a file-system error names its path, exit 2; messages are one line with control bytes escaped', () => {
    const fsError = Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES', path: '/root/x', syscall: 'open' });
    expect(errorReport(fsError)).toMatchObject({ line: "tpusim: '/root/x': permission denied (open)", exitCode: 2 });
    const odd = Object.assign(new Error('two\nlines with a \u0000 byte'), { userFacing: true });
    expect(errorReport(odd)).toMatchObject({ line: 'tpusim: two lines with a \\x00 byte', exitCode: 2 });
  });

  it('--debug prints the stack after the one line', async () => {
    const r = await runCaptured(['compile', p('folder'), '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tpusim: '.*folder' is a folder, not an \.hlo file\nUsageError: .*\n\s+at /);
  });
});
