import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { eventually } from '../helpers/eventually';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchChromium, offlineContext, screenshot, seriousViolations } from './app-fixture';

/*
 * The web app with the keyboard alone, on a 360 px wide screen and in dark mode (issue 19, item 11).
 */

const APP_TIMEOUT = 15_000;
const TITLES = ['Alpha Sketch', 'Bravo Mix', 'Charlie Master', 'Delta Demo', 'Echo Stems', 'Foxtrot Remix'];

describe('browser: the web app with the keyboard alone, at 360 px and in dark mode (issue 19)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer();
    for (const title of TITLES) assert.equal((await server.api('POST', '/sessions', { json: { title, tags: ['demo'] } })).status, 201);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  async function signedInPage(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const { context } = await offlineContext(browser, viewport);
    const page = await context.newPage();
    page.setDefaultTimeout(APP_TIMEOUT);
    await page.emulateMedia({ colorScheme });
    await page.goto(server.server.loginLink());
    await page.locator('.card h3', { hasText: TITLES[0] }).waitFor();
    return page;
  }

  const selectedTitle = (page: Page) => page.locator('.card[aria-current="true"] h3').innerText();

  it('keyboard: / searches, arrows and j/k move the selection, Enter opens the detail, Escape-free back with the button', async () => {
    const page = await signedInPage({ width: 1200, height: 800 });
    try {
      const first = await selectedTitle(page);
      await page.keyboard.press('ArrowRight');
      const second = await selectedTitle(page);
      assert.notEqual(second, first, 'ArrowRight moves to the next card');
      await page.keyboard.press('ArrowLeft');
      assert.equal(await selectedTitle(page), first);
      await page.keyboard.press('j');
      const below = await selectedTitle(page);
      assert.notEqual(below, first, 'j moves down a row');
      await page.keyboard.press('k');
      assert.equal(await selectedTitle(page), first);
      await page.keyboard.press('Enter');
      await page.locator('#detail-title', { hasText: first }).waitFor();
      await page.getByRole('button', { name: 'Back to the sessions' }).focus();
      await page.keyboard.press('Enter');
      await page.locator('#detail-title').waitFor({ state: 'detached' });
      await page.keyboard.press('/');
      assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'search');
      await page.keyboard.type('foxtrot');
      await eventually(() => page.locator('.card:not(.placeholder)').count(), (cards) => cards === 1, 'one card for foxtrot', APP_TIMEOUT);
      // Tab reaches the filters after the search box: a focus order that follows the page.
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement && document.activeElement.tagName'), 'SELECT');
    } finally {
      await page.context().close();
    }
  });

  it('at 360 px wide: one column, no sideways scrolling, the detail in place of the list, no serious axe violation', async () => {
    const page = await signedInPage({ width: 360, height: 740 });
    try {
      const overflow = async () => Number(await page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth'));
      assert.ok((await overflow()) <= 0, `the list scrolls sideways by ${await overflow()} px`);
      const boxes = await page.locator('.card:not(.placeholder)').evaluateAll((cards) => cards.map((card) => card.getBoundingClientRect().left));
      assert.equal(new Set(boxes.map(Math.round)).size, 1, 'one column of cards');
      assert.deepEqual(await seriousViolations(page), []);
      await screenshot(page, 'app-list-360.png');
      await page.locator('.card h3 a').first().click();
      await page.locator('#detail-title').waitFor();
      assert.equal(await page.locator('.card-scroller').isVisible(), false, 'the detail takes the place of the list');
      assert.ok((await overflow()) <= 0, `the detail scrolls sideways by ${await overflow()} px`);
      assert.deepEqual(await seriousViolations(page), []);
    } finally {
      await page.context().close();
    }
  });

  it('dark mode: the dark palette, and no serious axe violation (contrast included)', async () => {
    const page = await signedInPage({ width: 1200, height: 800 }, 'dark');
    try {
      const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
      assert.equal(background, 'rgb(17, 19, 21)');
      assert.deepEqual(await seriousViolations(page), []);
      await screenshot(page, 'app-list-dark.png');
    } finally {
      await page.context().close();
    }
  });
});
