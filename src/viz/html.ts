/**
 * @module viz/html
 * Self-contained HTML pages: one file with its styles, its scripts and its data inline
 * (no network, no framework), so a page written by `--out` or `--html` opens anywhere.
 *
 * Imports node:fs and node:url (to read the browser files in ./client) only.
 *
 * Invariant: embedded data cannot end its <script> element early: `<`, `>` and `&` in the
 * JSON are written as \u escapes, which JSON.parse reads back unchanged.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Text made safe inside HTML elements and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** `data` as JSON to put inside a <script type="application/json"> element. */
export function scriptJson(data: unknown): string {
  return JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The text of a browser file of ./client (a script or the style sheet). */
export function clientFile(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./client/${name}`, import.meta.url)), 'utf8');
}

/** What a page is made of. */
export interface PageParts {
  readonly title: string;
  /** Inner HTML of <body>, before the scripts. */
  readonly body: string;
  /** Data the scripts read from the element with id `viz-data` (omitted when undefined). */
  readonly data?: unknown;
  /** Browser files of ./client to inline, in order. */
  readonly scripts: readonly string[];
  /** A last inline script that starts the page. */
  readonly start: string;
}

/**
 * One self-contained HTML document.
 * @example htmlPage({ title: 't', body: '<p>hi</p>', scripts: [], start: '' }).startsWith('<!doctype html>') // true
 */
export function htmlPage(parts: PageParts): string {
  const data = parts.data === undefined ? '' : `<script type="application/json" id="viz-data">${scriptJson(parts.data)}</script>\n`;
  const scripts = parts.scripts.map((name) => `<script>\n${clientFile(name)}</script>\n`).join('');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(parts.title)}</title>`,
    `<style>\n${clientFile('viz.css')}</style>`,
    '</head>',
    '<body>',
    parts.body,
    '<div id="tip" hidden></div>',
    `${data}${scripts}<script>\n'use strict';\n${parts.start}\n</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
