#!/usr/bin/env node
// Launcher for the `tpusim` command. In a clone (src/ present, tsx installed as a dev
// dependency) it runs the TypeScript CLI through tsx's loader, so the source is what runs
// and there is no build step to forget. An installed package ships no src/: it runs the
// JavaScript that `npm pack` built into dist/ (scripts/build-dist.mjs).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
