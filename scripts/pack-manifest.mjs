// The package.json an installed tpusim carries. `npm pack` runs `prepack` (the `prepare`
// builds of build/wasm/ and dist/, then this script with `strip`), packs, then runs
// `postpack` (`restore`); `prepare` does not run again, as the stripped manifest has none.
// The packed manifest has no `prepare` (npm lists a dependency's prepare among install
// scripts to approve, though it has nothing to build: the tarball ships the build),
// no dev-only scripts, no devDependencies and no `tpusim-source` export condition (src/ is
// not shipped). The repository's package.json is kept byte for byte in package.json.orig
// meanwhile; `restore` puts it back (and a later `strip` refuses to run over a stale backup).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const backup = join(root, 'package.json.orig');

/** The installed package's manifest, from the repository's. */
export function packedManifest(pkg) {
  const { devDependencies: _dev, scripts: _scripts, ...rest } = pkg;
  const exports = Object.fromEntries(
    Object.entries(pkg.exports).map(([key, conditions]) => {
      const { 'tpusim-source': _source, ...built } = conditions;
      return [key, built];
    }),
  );
  return { ...rest, exports };
}

const command = process.argv[2];
if (command === 'strip') {
  if (existsSync(backup)) {
    console.error('pack-manifest: package.json.orig exists (an earlier pack did not finish): check it and move it back to package.json first');
    process.exit(1);
  }
  const missing = ['dist/index.js', 'dist/cli/main.js', 'build/wasm/mxu-kernel.wasm', 'build/wasm/vpu-kernels.wasm'].filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    console.error(`pack-manifest: not built: ${missing.join(', ')} (the dev dependencies typescript and assemblyscript build them: run npm install first)`);
    process.exit(1);
  }
  const text = readFileSync(manifest, 'utf8');
  writeFileSync(backup, text);
  writeFileSync(manifest, JSON.stringify(packedManifest(JSON.parse(text)), null, 2) + '\n');
} else if (command === 'restore') {
  if (existsSync(backup)) renameSync(backup, manifest);
} else if (command !== undefined) {
  console.error(`pack-manifest: unknown command '${command}' (strip or restore)`);
  process.exit(2);
}
