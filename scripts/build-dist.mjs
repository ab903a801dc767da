// Builds the JavaScript package: src/**/*.ts -> dist/**/*.js + .d.ts (tsconfig.build.json,
// relative imports rewritten from .ts to .js), and copies the non-TypeScript files modules
// read at run time (e.g. data/example.proto) beside them. Runs in `prepare` (so a clone's
// `import 'tpusim'` from JavaScript works after `npm install`) and in `prepack` (so the
// packed tarball ships it; an installed tpusim runs no build step and needs no dev tools).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

let tsc;
try {
  tsc = join(dirname(fileURLToPath(import.meta.resolve('typescript/package.json'))), 'bin', 'tsc');
} catch {
  console.warn('build-dist: typescript is not installed (dev dependency); skipping dist/');
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

/** Every file under `dir` except TypeScript sources and the WASM kernels' own sources. */
function assets(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'wasm') found.push(...assets(path));
    } else if (extname(name) !== '.ts') found.push(path);
  }
  return found;
}
const copied = assets(src);
for (const file of copied) {
  const to = join(dist, relative(src, file));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(file, to);
}
if (!existsSync(join(dist, 'index.js'))) throw new Error('build-dist: dist/index.js was not written');
console.log(`build-dist: dist/ (${copied.length} asset file(s) copied: ${copied.map((f) => relative(src, f)).join(', ') || 'none'})`);
