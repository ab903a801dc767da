/**
 * @module data/glob
 * File globbing for `Dataset.fromFiles`: `*`, `?`, `[abc]` within one path segment and `**`
 * across segments. Imports node:fs and node:path only. Results are sorted, so a glob always
 * yields the same order.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';

const MAGIC = /[*?[]/;

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        const body = seg.slice(i + 1, close).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    const list = await readdir(dir, { withFileTypes: true });
    return list.map((d) => ({ name: d.name, isDir: d.isDirectory() }));
  } catch {
    return [];
  }
}

async function walk(dir: string, segs: readonly string[], out: string[]): Promise<void> {
  const [seg, ...rest] = segs;
  if (seg === undefined) return;
  if (seg === '**') {
    await walk(dir, rest, out); // ** matches zero segments
    for (const e of await entries(dir)) if (e.isDir) await walk(join(dir, e.name), segs, out);
    return;
  }
  if (!MAGIC.test(seg)) {
    const path = join(dir, seg);
    if (rest.length === 0) {
      const parent = await entries(dir);
      if (parent.some((e) => e.name === seg && !e.isDir)) out.push(path);
    } else await walk(path, rest, out);
    return;
  }
  const re = segmentRegex(seg);
  for (const e of await entries(dir)) {
    if (!re.test(e.name)) continue;
    if (rest.length === 0) {
      if (!e.isDir) out.push(join(dir, e.name));
    } else if (e.isDir) await walk(join(dir, e.name), rest, out);
  }
}

/**
 * Lists the files matching a glob pattern, sorted. Relative patterns resolve against the
 * current directory and results stay relative to it.
 */
export async function glob(pattern: string): Promise<string[]> {
  const abs = isAbsolute(pattern);
  const segs = pattern.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  const out: string[] = [];
  await walk(abs ? sep : '.', segs, out);
  const uniq = [...new Set(out.map((p) => (abs ? resolve(p) : p)))];
  return uniq.sort();
}
