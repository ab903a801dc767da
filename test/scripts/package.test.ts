/**
 * The packed package (issue 17): `npm pack` in a copy of the repository, then a real
 * `npm ci` of the tarball into a fresh project, with no dev dependencies and no build step;
 * there, `tpusim matmul` runs and a plain-JavaScript script imports 'tpusim' and trains, and
 * TypeScript resolves the shipped types. Offline: the project's lockfile pins the same
 * dependency versions as ours, which npm's cache holds after our own `npm ci`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly [key: string]: unknown;
}

/** The lock entries of `roots` and everything they depend on, found as npm resolves them (nested first, then hoisted). */
function runtimeClosure(lock: Record<string, LockEntry>, roots: readonly string[]): Record<string, LockEntry> {
  const found: Record<string, LockEntry> = {};
  const visit = (name: string, from: string): void => {
    let dir = from;
    for (;;) {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      const entry = lock[path];
      if (entry) {
        if (found[path]) return;
        found[path] = entry;
        for (const dep of Object.keys(entry.dependencies ?? {})) visit(dep, path);
        return;
      }
      if (!dir) throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'tpusim'})`);
      dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '';
    }
  };
  for (const name of roots) visit(name, '');
  return found;
}

describe('npm pack: the package installed as a dependency', () => {
  const work = mkdtempSync(join(tmpdir(), 'tpusim-pack-'));
  const copy = join(work, 'repo');
  const out = join(work, 'out');
  const app = join(work, 'app');
  let tarball = '';
  let files: string[] = [];

  beforeAll(async () => {
    // Pack a copy, so the build (dist/, build/wasm/) and the manifest swap never touch the
    // files other tests are reading.
    mkdirSync(copy);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'ARCHITECTURE.md', 'bin', 'scripts', 'src']) {
      cpSync(join(repo, f), join(copy, f), { recursive: true });
    }
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'), 'dir');
    mkdirSync(out);
    const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', out], { cwd: copy, maxBuffer: 64 << 20 });
    const packed = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = join(out, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);

    // A fresh project depending on the tarball, locked to our dependency versions.
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; bin: Record<string, string> };
    const lock = (JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
    const spec = `file:../out/${packed[0]!.filename}`;
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { tpusim: spec } }, null, 2));
    writeFileSync(
      join(app, 'package-lock.json'),
      JSON.stringify(
        {
          name: 'app',
          lockfileVersion: 3,
          requires: true,
          packages: {
            '': { name: 'app', dependencies: { tpusim: spec } },
            'node_modules/tpusim': { version: pkg.version, resolved: spec, integrity, dependencies: pkg.dependencies, bin: pkg.bin },
            ...runtimeClosure(lock, Object.keys(pkg.dependencies)),
          },
        },
        null,
        2,
      ),
    );
    try {
      await run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app });
    } catch (e) {
      const msg = (e as { stderr?: string }).stderr ?? String(e);
      throw new Error(`npm ci --offline of the packed tarball failed (npm's cache must hold our dependencies: run npm ci in the repository first):\n${msg}`);
    }
  }, 400_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the built JavaScript, types and WASM kernels, and no source, tests or dev manifest', () => {
    for (const f of ['bin/tpusim.js', 'dist/index.js', 'dist/index.d.ts', 'dist/tf/index.js', 'dist/cli/main.js', 'dist/data/example.proto', 'build/wasm/mxu-kernel.wasm', 'build/wasm/vpu-kernels.wasm', 'README.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('bench/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'tpusim', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.scripts).toBeUndefined();
    expect(JSON.stringify(manifest.exports)).not.toContain('src/');
    // The repository's manifest is back as it was.
    expect(readFileSync(join(copy, 'package.json'), 'utf8')).toBe(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(existsSync(join(copy, 'package.json.orig'))).toBe(false);
    // Installed without dev tools: no TypeScript loader, no compilers.
    for (const dev of ['tsx', 'typescript', 'assemblyscript', 'vitest']) expect(existsSync(join(app, 'node_modules', dev))).toBe(false);
  });

  it('runs `tpusim matmul` from the installed bin', async () => {
    const { stdout } = await run(join(app, 'node_modules', '.bin', 'tpusim'), ['matmul', '-m', '48', '-k', '40', '-n', '24'], { cwd: app });
    expect(stdout).toMatch(/MACs\s+46080/);
    expect(stdout).toContain('wasm kernel');
  });

  it('a JavaScript script imports tpusim and tpusim/tf and trains on 8 simulated cores with worker threads', async () => {
    writeFileSync(
      join(app, 'train.mjs'),
      [
        "import * as tf from 'tpusim';",
        "import { loadLayersModel } from 'tpusim/tf';",
        'const n = 16, images = new Float32Array(n * 8 * 8 * 3).map((_, i) => (i % 7) / 7), labels = Array.from({ length: n }, (_, i) => i % 5);',
        'const model = tf.sequential({ layers: [',
        "  tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 3] }),",
        "  tf.layers.globalAveragePooling2d(), tf.layers.dense({ units: 5, activation: 'softmax' })] });",
        "model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], strategy: tf.tpu.strategy({ cores: 8, threads: 2 }) });",
        'const h = await model.fit(tf.tensor4d(images, [n, 8, 8, 3]), tf.tensor1d(labels), { batchSize: 8, epochs: 2, verbose: 0 });',
        "await model.save('file://saved'); const back = await loadLayersModel('file://saved/model.json');",
        'console.log(JSON.stringify({ loss: h.history.loss, probs: Array.from(await back.predict(tf.tensor4d(images, [n, 8, 8, 3])).data()).length }));',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['train.mjs'], { cwd: app });
    const result = JSON.parse(stdout) as { loss: number[]; probs: number };
    expect(result.loss).toHaveLength(2);
    expect(result.loss.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    expect(result.probs).toBe(16 * 5);
  });

  it("the input pipeline's worker threads start from the built JavaScript", async () => {
    const { stdout } = await run(join(app, 'node_modules', '.bin', 'tpusim'), ['flowers', 'synth', '--out', 'shards', '--count', '80', '--shards', '8', '--size', '16', '--workers', '2'], { cwd: app });
    expect(stdout.length).toBeGreaterThan(0);
    const { stdout: trained } = await run(
      join(app, 'node_modules', '.bin', 'tpusim'),
      ['train', '--model', 'squeeze-fast', '--data', 'shards', '--image-size', '16', '--cores', '2', '--batch-per-core', '4', '--epochs', '1', '--threads', '2', '--out', 'run'],
      { cwd: app },
    );
    expect(trained).toMatch(/val_accuracy/);
  });

  it('TypeScript resolves the shipped types', async () => {
    writeFileSync(join(app, 'check.ts'), "import * as tf from 'tpusim';\nimport { mxuConfig } from 'tpusim/mxu';\nconst t: tf.Tensor = tf.tensor2d([1, 2, 3, 4], [2, 2]);\nexport const rows: number = mxuConfig().rows + t.shape[0]!;\n");
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--typeRoots', join(repo, 'node_modules', '@types'), 'check.ts'], { cwd: app });
  });
});
