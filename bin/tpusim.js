#!/usr/bin/env node
// Launcher for the `tpusim` command: runs the TypeScript CLI through tsx's loader, so the
// source in src/ is what runs (no build step to forget).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
