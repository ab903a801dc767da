// Builds tpusim's WebAssembly kernels from source (AssemblyScript) into build/wasm/.
// Runs as the package's `prepare` script, so `npm install` and `npm ci` always produce them.
// Every `src/<module>/wasm/<name>.ts` becomes `build/wasm/<module>-<name>.wasm`: this is the
// project's one WASM toolchain (no kernel is hand-assembled or checked in as bytecode).
import { mkdirSync, readdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build', 'wasm');

function sources() {
  const found = [];
  const srcDir = join(root, 'src');
  for (const mod of readdirSync(srcDir)) {
    const wasmDir = join(srcDir, mod, 'wasm');
    if (!existsSync(wasmDir) || !statSync(wasmDir).isDirectory()) continue;
    for (const file of readdirSync(wasmDir)) {
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) found.push({ mod, file, path: join(wasmDir, file) });
    }
  }
  return found;
}

let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch {
  console.warn('build-wasm: assemblyscript is not installed (dev dependency); skipping WASM kernels');
  process.exit(0);
}

// Extra compiler flags per kernel. The MXU kernel imports a shared memory so that worker
// threads can compute row chunks of one pass in place (src/mxu/worker.ts).
// The stepped array's MAC loop imports its memory too: one plain memory per array, which
// src/mxu/array.ts lays out from byte 0.
const EXTRA_FLAGS = {
  'mxu-kernel': ['--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', '65536'],
  'mxu-array-mac': ['--importMemory'],
};

// Kernels built without the runtime exports (--exportRuntime), so with no static data and no
// abort import: nothing is written into the memory they import (the array's registers).
const NO_RUNTIME = new Set(['mxu-array-mac']);

mkdirSync(outDir, { recursive: true });
for (const { mod, file, path } of sources()) {
  const name = `${mod}-${file.replace(/\.ts$/, '')}`;
  const out = join(outDir, `${name}.wasm`);
  const { error, stderr } = await asc.main([
    relative(root, path),
    '--outFile', relative(root, out),
    '--optimizeLevel', '3',
    '--shrinkLevel', '0',
    '--noAssert',
    '--runtime', 'stub',
    '--enable', 'simd',
    '--initialMemory', '1',
    ...(NO_RUNTIME.has(name) ? [] : ['--exportRuntime']),
    ...(EXTRA_FLAGS[name] ?? []),
  ], { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(`build-wasm: ${name} failed: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${relative(root, out)}`);
}
