/**
 * Lines of code per src/ folder, and files over the ~400-line budget (STYLE.md, J).
 * `npx tsx scripts/sz.ts` prints the table; it warns (does not fail) when over budget.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const FILE_BUDGET_LINES = 400;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const perFolder = new Map<string, number>();
const over: string[] = [];
for (const file of walk(join(root, 'src'))) {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  const folder = relative(join(root, 'src'), file).split('/')[0]!;
  perFolder.set(folder, (perFolder.get(folder) ?? 0) + lines);
  if (lines > FILE_BUDGET_LINES) over.push(`${relative(root, file)}: ${lines} lines`);
}
for (const [folder, lines] of [...perFolder].sort()) console.log(`${folder.padEnd(12)} ${String(lines).padStart(6)}`);
console.log(`${'total'.padEnd(12)} ${String([...perFolder.values()].reduce((a, b) => a + b, 0)).padStart(6)}`);
if (over.length > 0) console.warn(`over the ${FILE_BUDGET_LINES}-line budget:\n  ${over.join('\n  ')}`);
