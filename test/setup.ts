/** Test setup: any console output from code under test fails the test (house style K). */
import { afterEach, vi } from 'vitest';

const methods = ['log', 'warn', 'error', 'info', 'debug'] as const;
const calls: string[] = [];
for (const m of methods) {
  vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
    calls.push(`console.${m}: ${args.map(String).join(' ')}`);
  });
}
afterEach(() => {
  if (calls.length > 0) {
    const text = calls.splice(0).join('\n');
    throw new Error(`test wrote to the console:\n${text}`);
  }
});
