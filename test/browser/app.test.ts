import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sine, writeWav } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { tempProjects, type ProjectTree } from '../helpers/projects';
import { startTestServer, type TestServer } from '../helpers/server';
import { recordingOpener } from '../ui-server/fixtures';
import { launchChromium, offlineContext, playhead, screenshot, seriousViolations, waveformInk, type PageWatch } from './app-fixture';

/*
 * The web app (issue 19) in Debian's Chromium against a real server with its own data directory,
 * the network otherwise unreachable: one person's afternoon, in order: sign in, create, search,
 * edit against a stale version, attach and hear a preview, note it, and watch other clients work.
 */

const APP_TIMEOUT = 15_000;

describe('browser: the web app, signed in with a one-time link (issue 19)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;
  let scratch: string;
  let projects: ProjectTree;
  let opener: ReturnType<typeof recordingOpener>;
  let sessionId: string;

  const cardTitled = (title: string) => page.locator('.card', { has: page.locator('h3', { hasText: title }) });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'sessiondock-browser-'));
    projects = tempProjects();
    opener = recordingOpener(scratch);
    server = await startTestServer({ opener: opener.path });
    browser = await launchChromium();
    ({ context, watch } = await offlineContext(browser));
    page = await context.newPage();
    page.setDefaultTimeout(APP_TIMEOUT);
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    projects?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  afterEach(function () {
    // Nothing may reach another host, and the page must not throw or break its CSP.
    assert.deepEqual(watch.elsewhere, [], 'requests to another host');
    assert.deepEqual(watch.errors, [], 'page errors');
  });

  it('signs in with a one-time link, lands on /app/ without the code, and the same link is refused after', async () => {
    const link = server.server.loginLink();
    await page.goto(link);
    await page.waitForURL((url) => url.pathname === '/app/' && url.search === '');
    const [cookie] = await context.cookies();
    assert.equal(cookie.name, 'sessiondock_ui');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(!cookie.value.includes(server.token), 'the cookie is not the API token');
    await page.getByText('0 sessions').waitFor();

    const again = await browser.newContext();
    try {
      const reused = await (await again.newPage()).goto(link);
      assert.ok(reused && reused.status() >= 400, `a reused code answers ${reused?.status()}`);
      assert.deepEqual(await again.cookies(), [], 'a reused code sets no cookie');
    } finally {
      await again.close();
    }
  });

  it('creates a session from the New session form and opens it', async () => {
    await page.getByRole('button', { name: 'New session' }).click();
    await page.getByRole('form', { name: 'New session' }).getByLabel('Title').fill('Midnight Groove');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#detail-title', { hasText: 'Midnight Groove' }).waitFor();
    sessionId = /\/app\/sessions\/(session_\w+)$/.exec(page.url())?.[1] ?? '';
    const stored = await server.api('GET', `/sessions/${sessionId}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.data.title, 'Midnight Groove');
  });

  it('finds it as the person types, one key at a time', async () => {
    for (const title of ['Sunrise Ballad', 'Harbor Lights']) {
      assert.equal((await server.api('POST', '/sessions', { json: { title } })).status, 201);
    }
    await page.getByRole('button', { name: 'Back to the sessions' }).click();
    await cardTitled('Harbor Lights').waitFor();
    await page.locator('#search').pressSequentially('midn', { delay: 40 });
    await eventually(() => page.locator('.card:not(.placeholder)').count(), (cards) => cards === 1, 'one card left', APP_TIMEOUT);
    assert.equal(await cardTitled('Midnight Groove').count(), 1);
    await page.locator('#search').fill('');
    await cardTitled('Harbor Lights').waitFor();
  });

  it('edits against a stale version: shows what the other client changed, and re-applies the edit on top', async () => {
    await cardTitled('Midnight Groove').locator('h3 a').click();
    await page.getByLabel('Client').fill('Acme Records');
    // Meanwhile a script renames it: the open detail hears of it but keeps the person's edit.
    const renamed = await server.api('PATCH', `/sessions/${sessionId}`, { json: { title: 'Midnight Groove (v2)' } });
    assert.equal(renamed.status, 200);
    await page.locator('.detail .meta', { hasText: 'version 2' }).waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByTestId('conflict');
    await conflict.waitFor();
    assert.match(await conflict.innerText(), /Title → “Midnight Groove \(v2\)”/);
    await conflict.getByRole('button', { name: 'Apply my changes on top' }).click();
    await conflict.waitFor({ state: 'detached' });
    const stored = (await server.api('GET', `/sessions/${sessionId}`)).body.data;
    assert.equal(stored.client, 'Acme Records');
    assert.equal(stored.title, 'Midnight Groove (v2)', "the other client's title is kept");
    assert.equal(stored.version, 3);
  });

  it('attaches a generated WAV: the waveform draws non-blank peaks once the analysis is done', async () => {
    const wav = writeWav(projects.path('bounce.wav'), sine({ durationS: 4, amplitude: 0.8, frequency: 220 }));
    await page.getByLabel('Attach an audio file').fill(wav);
    await page.getByRole('button', { name: 'Attach', exact: true }).click();
    await page.locator('.variants .badge', { hasText: 'ready' }).waitFor();
    await eventually(() => waveformInk(page), (ink) => ink > 500, 'the waveform canvas drawn with peaks', APP_TIMEOUT);
  });

  it('plays the preview: currentTime advances, streamed with Range requests answered 206', async () => {
    await page.getByTestId('play').click();
    await eventually(() => playhead(page), (seconds) => seconds > 0.3, 'the playhead moving', APP_TIMEOUT);
    assert.ok(watch.audio.some((request) => request.range?.startsWith('bytes=')), `a Range request: ${JSON.stringify(watch.audio)}`);
    assert.ok(watch.audio.some((request) => request.status === 206), `a 206 answer: ${JSON.stringify(watch.audio)}`);
    await page.getByRole('button', { name: 'Pause' }).click();
  });

  it('adds a note at the playhead with n; after a reload it is there, on the waveform and in the lane', async () => {
    const at = await playhead(page);
    await page.locator('body').press('n');
    await page.getByLabel(/^Note at/).fill('Kick too loud here');
    await page.getByRole('button', { name: 'Save note', exact: true }).click();
    await page.getByRole('button', { name: /^Note at .*Kick too loud here/ }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: /^Note at .*Kick too loud here/ }).waitFor();
    const lane = (await server.api('GET', `/sessions/${sessionId}/waveform-notes`)).body.data;
    assert.equal(lane.notes.length, 1);
    assert.ok(Math.abs(lane.notes[0].timestamp - at) < 0.2, `the note at ${lane.notes[0].timestamp} s, the playhead at ${at} s`);
    await screenshot(page, 'app-detail.png');
  });

  it('shows a write made by a bearer client over plain HTTP without a reload', async () => {
    const tagged = await server.api('PUT', `/sessions/${sessionId}/tags`, { json: { tags: ['mix', 'needs-vocals'] } });
    assert.equal(tagged.status, 200);
    await page.locator('.tags-editor li', { hasText: 'needs-vocals' }).waitFor();
    const created = await server.api('POST', '/sessions', { json: { title: 'Written By A Script' } });
    assert.equal(created.status, 201);
    await cardTitled('Written By A Script').waitFor();
  });

  it('brings the card forward when a bearer client asks for focus: highlighted, its detail open', async () => {
    const target = (await server.api('GET', '/sessions?q=harbor')).body.data[0];
    const focus = await server.api('POST', `/sessions/${target.id}/focus`);
    assert.equal(focus.status, 200);
    assert.deepEqual(focus.body.data, { id: target.id, opened: false, focused: true });
    await page.locator(`.card.highlighted[data-session-id="${target.id}"]`).waitFor();
    await page.locator('#detail-title', { hasText: 'Harbor Lights' }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/app/sessions/${target.id}`);
    assert.deepEqual(opener.calls(), [], 'a connected app needs no launch');
  });

  it('imports two folders: progress, then the new cards', async () => {
    projects.file('Album/One/One.als', 'ableton');
    projects.wav('Album/One/Bounces/One.wav', { seconds: 0.2 });
    projects.file('Album/Two/Two.flp', 'fl');
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.getByLabel(/Project paths/).fill(`${projects.path('Album/One/One.als')}\n${projects.path('Album/Two/Two.flp')}`);
    await page.getByRole('button', { name: 'Import 2 projects' }).click();
    const status = page.getByTestId('import-status');
    await status.getByText(/Done 2 of 2: 2 created, 0 skipped, 0 failed/).waitFor();
    await screenshot(page, 'app-import.png');
    assert.deepEqual(await seriousViolations(page), [], 'the import page');
    await page.getByRole('button', { name: 'Back to the sessions' }).click();
    await cardTitled('One').waitFor();
    await cardTitled('Two').waitFor();
    await screenshot(page, 'app-list.png');
    assert.deepEqual(await seriousViolations(page), [], 'the list');
    await cardTitled('One').locator('h3 a').click();
    await page.locator('#detail-title', { hasText: 'One' }).waitFor();
    assert.deepEqual(await seriousViolations(page), [], 'the detail');
  });

  it('with no tab open, focus starts the app through the opener with a login link that lands on the session', async () => {
    await page.close();
    await eventually(async () => server.server.streamStats().clients, (clients) => clients === 0, 'the app tab gone from the live stream');
    const focus = await server.api('POST', `/sessions/${sessionId}/focus`);
    assert.equal(focus.status, 200, focus.text);
    assert.deepEqual(focus.body.data, { id: sessionId, opened: false, focused: true });
    const [call] = await eventually(async () => opener.calls(), (calls) => calls.length === 1, 'the opener run');
    assert.match(call[0], /^http:\/\/127\.0\.0\.1:\d+\/app\/login\?code=[\w-]+$/);
    page = await context.newPage();
    await page.goto(call[0]);
    await page.waitForURL((url) => url.pathname === `/app/sessions/${sessionId}`);
    await page.locator('#detail-title', { hasText: 'Midnight Groove (v2)' }).waitFor();
  });
});
