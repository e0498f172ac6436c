import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';
/** The test output folder at the repository's root (gitignored), found from the compiled file (dist/test/browser). */
export const OUTPUT_DIRECTORY = join(__dirname, '..', '..', '..', 'test-output');

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`apt-get install chromium\` (Debian's package; .ci/run installs it when missing)`);
  // Playback starts from a click, but headless Chromium has no user to have clicked before.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--autoplay-policy=no-user-gesture-required'] });
}

/** What a page did that it should not: asked another host, broke the CSP, threw. */
export interface PageWatch {
  elsewhere: string[];
  errors: string[];
  /** Requests for preview audio and the Range header each carried, and the status each got. */
  audio: Array<{ range: string | undefined; status?: number }>;
}

/** A browser context where only the server under test answers: the network is otherwise unreachable. */
export async function offlineContext(browser: Browser, viewport = { width: 1400, height: 950 }): Promise<{ context: BrowserContext; watch: PageWatch }> {
  const context = await browser.newContext({ viewport });
  const watch: PageWatch = { elsewhere: [], errors: [], audio: [] };
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    watch.elsewhere.push(url.href);
    return route.abort('internetdisconnected');
  });
  context.on('request', (request) => {
    if (request.url().includes('/preview/audio')) watch.audio.push({ range: request.headers().range });
  });
  context.on('response', (response) => {
    if (!response.url().includes('/preview/audio')) return;
    const entry = [...watch.audio].reverse().find((seen) => seen.status === undefined);
    if (entry) entry.status = response.status();
  });
  context.on('page', (page) => watchPage(page, watch));
  return { context, watch };
}

function watchPage(page: Page, watch: PageWatch): void {
  page.on('pageerror', (error) => watch.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A refused API call is logged by Chromium as a failed resource: the app shows those itself.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) watch.errors.push(message.text());
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT_DIRECTORY, { recursive: true });
  await page.screenshot({ path: join(OUTPUT_DIRECTORY, name), fullPage: false });
}

/** axe-core on the page as it is: violations of impact serious or critical, described. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join('; ')}`);
}

/** Non-blank pixels of every canvas the waveform drew (in wavesurfer's shadow root). Runs in the page (a string: no DOM types here). */
export function waveformInk(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const host = document.querySelector('[data-testid="waveform"]');
    if (!host) return 0;
    const roots = [host];
    host.querySelectorAll('*').forEach((element) => element.shadowRoot && roots.push(element.shadowRoot));
    let ink = 0;
    for (const root of roots) {
      root.querySelectorAll('canvas').forEach((canvas) => {
        const context = canvas.getContext('2d');
        if (!context || canvas.width === 0 || canvas.height === 0) return;
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) ink += 1;
      });
    }
    return ink;
  })()`);
}

/** The preview player's position in seconds. */
export const playhead = (page: Page): Promise<number> => page.evaluate(`document.querySelector('[data-testid="preview-audio"]').currentTime`);
