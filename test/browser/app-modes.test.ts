import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { httpCall } from '../helpers/http';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { startTestServer, type TestServer } from '../helpers/server';
import { readTokenFile } from '../../src/token';
import { launchChromium, offlineContext, type PageWatch } from './app-fixture';

/*
 * The web app when the server limits it or goes away (issue 19): read-only mode turns writes off
 * with the reason; a server killed and started again is followed again without a reload.
 */

const APP_TIMEOUT = 15_000;

describe('browser: the web app in read-only mode and across a server restart (issue 19)', function () {
  this.timeout(90_000);
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  before(async () => {
    browser = await launchChromium();
  });
  beforeEach(async () => {
    ({ context, watch } = await offlineContext(browser));
    page = await context.newPage();
    page.setDefaultTimeout(APP_TIMEOUT);
  });
  afterEach(async () => {
    await context.close();
    assert.deepEqual(watch.elsewhere, [], 'requests to another host');
  });
  after(async () => {
    await browser?.close();
  });

  it('read-only: a banner says why, and every write control is disabled', async () => {
    const server: TestServer = await startTestServer({ mode: 'read-only' });
    try {
      await page.goto(server.server.loginLink());
      const banner = page.getByTestId('mode-banner');
      await banner.waitFor();
      assert.match(await banner.innerText(), /read-only: enable Full Automation/);
      assert.equal(await page.getByRole('button', { name: 'New session' }).isDisabled(), true);
      assert.equal(await page.getByRole('button', { name: 'Import…' }).isEnabled(), true, 'reading imports stays possible');
      await page.getByRole('button', { name: 'Import…' }).click();
      assert.equal(await page.getByRole('button', { name: /^Import/ }).last().isDisabled(), true);
    } finally {
      await server.dispose();
    }
  });

  it('kill the server and start it again: the app reconnects by itself and keeps following', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sessiondock-browser-restart-'));
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess(['--data-dir', dataDir, '--port', '0']);
      const port = new URL(server.origin).port;
      const token = readTokenFile(join(dataDir, 'token'));
      const write = (origin: string, title: string) =>
        httpCall(`${origin}/api/v1/sessions`, 'POST', { headers: { Authorization: `Bearer ${token}` }, json: { title } });
      const link = /(http:\/\/\S+\/app\/login\?code=\S+)/.exec(server.stdout())?.[1];
      assert.ok(link, `the start-up banner prints a login link: ${server.stdout()}`);
      await page.goto(link);
      assert.equal((await write(server.origin, 'Before The Restart')).status, 201);
      await page.locator('.card h3', { hasText: 'Before The Restart' }).waitFor();

      await server.stop('SIGKILL');
      await page.getByText('Reconnecting to live updates…').waitFor();
      server = await startServerProcess(['--data-dir', dataDir, '--port', port]);
      assert.equal((await write(server.origin, 'After The Restart')).status, 201);
      await page.locator('.card h3', { hasText: 'After The Restart' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.getByText('Reconnecting to live updates…').count(), 0);
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
