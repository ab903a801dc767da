/**
 * Finds a Chromium for the browser tests and starts it headless with playwright-core (which
 * drives an installed browser and downloads none). `TPUSIM_CHROMIUM` names one explicitly;
 * otherwise Debian's /usr/bin/chromium (what .ci/run installs) and a few usual paths.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The browser executable to use, or null when there is none. */
export function findChromium(): string | null {
  const given = process.env.TPUSIM_CHROMIUM;
  if (given) return existsSync(given) ? given : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** Why the browser tests skip, when they do. */
export const NO_CHROMIUM = `no Chromium found (TPUSIM_CHROMIUM, ${CANDIDATES.join(', ')}): install Debian's chromium (apt-get install chromium) to run them`;

/**
 * Starts `executable` headless, as root-safe and offline as this machine needs: no sandbox
 * (CI runs as root), and none of Chromium's own network traffic (the network is closed).
 */
export function launchChromium(executable: string): Promise<Browser> {
  return chromium.launch({
    executablePath: executable,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
