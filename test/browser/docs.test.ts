import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it when it is missing. */
const CHROMIUM = '/usr/bin/chromium';
/** The test output folder at the repository's root (gitignored), found from the compiled file (dist/test/browser). */
const OUTPUT_DIRECTORY = join(__dirname, '..', '..', '..', 'test-output');

describe('browser: /docs renders the OpenAPI document with the network unreachable (playwright-core, system Chromium)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let browser: Browser | undefined;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`apt-get install chromium\` (Debian's package; .ci/run installs it when missing)`);
    server = await startTestServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('shows the "Create a session" operation and the Session schema, asks nothing of another host, logs no error, and is saved as a screenshot', async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
    const elsewhere: string[] = [];
    const errors: string[] = [];
    // The network is unreachable: only the server under test answers; anything else is refused and recorded.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      elsewhere.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => {
      if (new URL(request.url()).hostname === '127.0.0.1') errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    });

    const response = await page.goto(`${server.origin}/docs`, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    await page.getByRole('heading', { name: 'Quick start' }).waitFor();

    const create = page.locator('.opblock-post', { hasText: 'Create a session' }).filter({ has: page.locator('[data-path="/api/v1/sessions"]') });
    await create.first().waitFor({ timeout: 10_000 });
    const schemas = page.locator('section.models');
    await schemas.getByText('Schemas', { exact: true }).waitFor();
    // OpenAPI 3.1: Swagger UI renders the schemas as JSON Schema 2020-12; opening Session shows its properties.
    const session = schemas.locator('article.json-schema-2020-12', { has: page.locator('.json-schema-2020-12__title', { hasText: /^Session$/ }) });
    await session.first().waitFor();
    await session.first().locator('.json-schema-2020-12-accordion').first().click();
    await session.first().getByText('projectPath', { exact: true }).first().waitFor();

    mkdirSync(OUTPUT_DIRECTORY, { recursive: true });
    const screenshot = join(OUTPUT_DIRECTORY, 'docs.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(existsSync(screenshot), screenshot);
    await context.close();

    assert.deepEqual(elsewhere, [], 'requests to hosts other than the server (the page must work offline)');
    assert.deepEqual(errors, [], 'console errors');
  });
});
