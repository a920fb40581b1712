// The browser tests' shared parts: Debian's chromium (playwright-core cannot download a browser
// here), launched with the flags this closed network needs, and a wait that nudges the page.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = `${ROOT}screenshots`;

if (!HAS_CHROMIUM) console.warn(`Browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH).`);

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Wait for `target`, running `probe` (e.g. a reload) between tries. */
export async function eventually(target: Locator, probe: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await target.waitFor({ state: 'visible', timeout: 1_500 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await probe();
    }
  }
}

