import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import type { HttpResponse } from '../helpers/http';
import { recordingOpens } from '../helpers/open-spy';
import { tempProjects, type ProjectTree } from '../helpers/projects';
import { rawHttp, requestBytes } from '../helpers/raw-http';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';
import { countAttack } from './tally';

/*
 * Issue 8 item 4: path traversal wherever the API takes a path or an id (session ids, variant
 * ids, import ids, documentation asset names, attach and import paths) and abusive `Range`
 * headers. A sentinel file sits next to the registered preview: nothing may ever serve it, and
 * the server may open no file but registered previews and its own data.
 */

const SUITE = 'traversal';
const SECRET = 'ATTACK-SENTINEL 51c0: this file must never be served';

const isInside = (dir: string, path: string) => path === dir || path.startsWith(`${dir}/`);

describe('attack: path traversal and Range abuse (contract §4, §6, §7)', () => {
  let server: TestServer;
  let projects: ProjectTree;
  let sessionId: string;
  let secretPath: string;
  let mixPath: string;
  let mixBytes: Buffer;

  const auth = () => ({ Authorization: `Bearer ${server.token}` });
  /**
   * A request sent byte for byte (an HTTP client would resolve `..` segments before sending):
   * `target` from the server's root, with the token and, for `json`, its Content-Type.
   */
  const sendRoot = async (method: string, target: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResponse> => {
    const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
    const headers: Array<[string, string]> = [['Host', `127.0.0.1:${server.server.port}`], ...Object.entries(auth()), ...Object.entries(options.headers ?? {})];
    if (body) headers.push(['Content-Type', 'application/json']);
    const outcome = await rawHttp(server.server.port, requestBytes({ method, target, headers, body }));
    assert.ok(outcome.response, `${method} ${target.slice(0, 100)}: no response (${outcome.timedOut ? 'timed out' : outcome.error})`);
    return outcome.response;
  };
  const send = (method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}) => sendRoot(method, `/api/v1${path}`, options);
  const head = () => server.server.store.head().position;
  const noSecret = (what: string, response: { text: string; bytes?: Buffer }) => {
    assert.ok(!response.text.includes(SECRET.slice(0, 20)) && !(response.bytes ?? Buffer.alloc(0)).includes(SECRET.slice(0, 20)), `${what} served the sentinel`);
    assert.ok(!/root:.*:0:0:/.test(response.text), `${what} served /etc/passwd`);
  };

  before(async () => {
    projects = tempProjects('sessiondock-traversal-');
    projects.file('Song/Song.als', '');
    mixPath = projects.wav('Song/Bounces/mix.wav');
    mixBytes = readFileSync(mixPath);
    secretPath = projects.file('Song/Bounces/secret.txt', SECRET);
    projects.file('Song/secret.wav', SECRET);
    server = await startTestServer();
    const created = await server.api('POST', '/sessions', { json: { title: 'Traversal target', projectPath: projects.path('Song') } });
    assert.equal(created.status, 201, created.text);
    sessionId = created.body.data.id;
    const attached = await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path: mixPath, id: 'preview_main' } });
    assert.equal(attached.status, 201, attached.text);
    // The analysis the attach started writes an event of its own: done before any test counts events.
    await eventually(async () => (await server.api('GET', `/sessions/${sessionId}/preview`)).body.data.previewStatus, (status) => status === 'ready', 'the preview analysis');
  });

  after(async () => {
    await server?.dispose();
    projects?.cleanup();
  });

  const hostileIds = () => [
    '..',
    '%2e%2e',
    '..%2f..%2fetc%2fpasswd',
    '..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..%5c..%5cwindows%5cwin.ini',
    '%252e%252e%252fetc%252fpasswd',
    '%00',
    `${sessionId}%00`,
    `${sessionId}%00.json`,
    `${sessionId}%2f..`,
    `${sessionId}%2F..%2F..%2Fsecret.txt`,
    encodeURIComponent(secretPath),
    encodeURIComponent('/etc/passwd'),
    '%C0%AE%C0%AE%C0%AF',
    '%zz',
    '%',
    sessionId.toLowerCase(),
    `${sessionId}.`,
    ` ${sessionId}`.replace(' ', '%20'),
    '__proto__',
    'constructor',
    'x'.repeat(5000),
  ];

  it('answers 404 (or 400/405) for hostile session ids on every session route, serves no file, opens none', async () => {
    const routes: Array<[string, (id: string) => string]> = [
      ['GET', (id) => `/sessions/${id}`],
      ['PATCH', (id) => `/sessions/${id}`],
      ['DELETE', (id) => `/sessions/${id}`],
      ['GET', (id) => `/sessions/${id}/tags`],
      ['PUT', (id) => `/sessions/${id}/notes`],
      ['GET', (id) => `/sessions/${id}/history`],
      ['GET', (id) => `/sessions/${id}/preview`],
      ['GET', (id) => `/sessions/${id}/preview/audio`],
      ['GET', (id) => `/sessions/${id}/waveform`],
      ['GET', (id) => `/sessions/${id}/waveform-notes`],
      ['PUT', (id) => `/sessions/${id}/waveform-notes`],
      ['POST', (id) => `/sessions/${id}/previews`],
      ['DELETE', (id) => `/sessions/${id}/previews/preview_main`],
      ['POST', (id) => `/sessions/${id}/open`],
      ['POST', (id) => `/sessions/${id}/focus`],
    ];
    const bodies: Record<string, unknown> = { PATCH: { title: 'x' }, PUT: { notes: [] }, POST: { path: secretPath } };
    const before = head();
    const { result: responses, opened } = await recordingOpens(async () => {
      const out: Array<[string, HttpResponse]> = [];
      for (const [method, path] of routes) {
        for (const id of hostileIds()) {
          countAttack(SUITE);
          const json = path(id).endsWith('/notes') ? { notes: 'x' } : bodies[method];
          out.push([`${method} ${path(id).slice(0, 120)}`, await send(method, path(id), json === undefined || method === 'DELETE' || path(id).endsWith('/open') || path(id).endsWith('/focus') ? {} : { json })]);
        }
      }
      return out;
    });
    for (const [what, response] of responses) {
      noSecret(what, response);
      assert.ok([400, 404, 405].includes(response.status), `${what}: ${response.status} ${response.text.slice(0, 200)}`);
      if (response.status === 404) assert.equal(response.body.error.code, 'not_found');
    }
    const written = (await readAllEvents(server)).filter((event) => event.position > before).map((event) => `${event.position} ${event.type} ${event.streamId}`);
    assert.deepEqual(written, [], 'a hostile id wrote to the log');
    const strangers = opened.filter((path) => !isInside(server.dataDir, path));
    assert.deepEqual(strangers, [], `opened files outside the data directory: ${strangers.join(', ')}`);
  });

  it('answers 404 for hostile variant ids in the path (detach) and in ?variantId= (audio, waveform, notes), never the sentinel', async () => {
    const variants = ['..', '..%2Fsecret.txt', '..%2F..%2Fsecret.wav', encodeURIComponent(secretPath), encodeURIComponent('../secret.wav'), 'preview_main%00', '%00', 'secret', 'secret.txt', 'PREVIEW_MAIN', 'preview_main%2F..', '%zz', '__proto__', 'x'.repeat(3000)];
    const before = head();
    const { result: responses, opened } = await recordingOpens(async () => {
      const out: Array<[string, HttpResponse]> = [];
      for (const variant of variants) {
        countAttack(SUITE, 5);
        out.push([`DELETE previews/${variant}`, await send('DELETE', `/sessions/${sessionId}/previews/${variant}`)]);
        out.push([`audio ?variantId=${variant}`, await send('GET', `/sessions/${sessionId}/preview/audio?variantId=${variant}`)]);
        out.push([`waveform ?variantId=${variant}`, await send('GET', `/sessions/${sessionId}/waveform?variantId=${variant}`)]);
        out.push([`notes ?variantId=${variant}`, await send('GET', `/sessions/${sessionId}/waveform-notes?variantId=${variant}`)]);
        out.push([`PUT notes ?variantId=${variant}`, await send('PUT', `/sessions/${sessionId}/waveform-notes?variantId=${variant}`, { json: { notes: [{ timestamp: 1, text: 'x' }] } })]);
      }
      return out;
    });
    for (const [what, response] of responses) {
      noSecret(what, response);
      assert.ok([400, 404].includes(response.status), `${what}: ${response.status} ${response.text.slice(0, 200)}`);
    }
    assert.equal(head(), before);
    assert.deepEqual(opened.filter((path) => !isInside(server.dataDir, path) && path !== mixPath), []);
  });

  it('answers 404 for hostile import ids and documentation asset names, never a file', async () => {
    for (const id of [...hostileIds(), 'import_..%2F..%2Fetc%2Fpasswd']) {
      countAttack(SUITE);
      const response = await send('GET', `/import/${id}`);
      noSecret(`import ${id}`, response);
      assert.ok([400, 404].includes(response.status), `import ${id}: ${response.status}`);
    }
    for (const name of ['..%2F..%2F..%2Fpackage.json', '..%2F..%2Fsrc%2Fserver.ts', '%2e%2e%2f%2e%2e%2fpackage.json', encodeURIComponent('/etc/passwd'), 'swagger-ui.css%00.js', 'index.html', '..', '%2e%2e', 'swagger-ui-bundle.js.map', '__proto__', 'constructor']) {
      countAttack(SUITE);
      const response = await sendRoot('GET', `/docs/assets/${name}`);
      noSecret(`asset ${name}`, response);
      assert.ok(!/"name":\s*"sessiondock"/.test(response.text), `asset ${name} served package.json`);
      assertError(response, 404, 'not_found');
    }
    for (const target of ['/docs/../package.json', '/docs/assets/../../package.json', '/%2e%2e/package.json', '/api/v1/../../package.json', '/openapi.json/../../../etc/passwd']) {
      countAttack(SUITE);
      const outcome = await rawHttp(server.server.port, requestBytes({ method: 'GET', target, headers: [['Host', '127.0.0.1'], ...Object.entries(auth())] }));
      assert.ok(outcome.response, target);
      noSecret(target, outcome.response);
      assert.ok(!/"name":\s*"sessiondock"/.test(outcome.response.text), `${target} served package.json`);
      assert.equal(outcome.response.status, 404, `${target}: ${outcome.response.status}`);
    }
  });

  describe('paths in bodies (attach, import, projectPath)', () => {
    it('refuses to attach anything but a readable audio file: /etc/passwd, the sentinel, traversal, a directory, devices, a FIFO (fast, 400 /path)', async () => {
      const fifo = projects.path('Song/Bounces/pipe.wav');
      execFileSync('mkfifo', [fifo]);
      const before = head();
      const paths = ['/etc/passwd', '/tmp/../etc/passwd', secretPath, projects.path('Song/secret.wav'), `${projects.path('Song/Bounces')}/../secret.wav`, projects.path('Song'), '/dev/zero', '/dev/null', '/dev/urandom', '/proc/self/environ', fifo];
      for (const path of paths) {
        countAttack(SUITE);
        const started = Date.now();
        const response = await send('POST', `/sessions/${sessionId}/previews`, { json: { path } });
        assert.ok(Date.now() - started < 3000, `${path} took ${Date.now() - started} ms (a FIFO or device must not block)`);
        assertError(response, 400, 'invalid_request');
        assert.equal(response.body.error.details[0].field, '/path');
        noSecret(path, response);
      }
      for (const path of ['etc/passwd', '../etc/passwd', '~/x.wav', 'file:///etc/passwd', '\u0000/etc/passwd']) {
        countAttack(SUITE);
        assertError(await send('POST', `/sessions/${sessionId}/previews`, { json: { path } }), 400, 'invalid_request');
      }
      assert.equal(head(), before, 'a refused attach wrote to the log');
      // The server is still serving files: the FIFO held nothing up.
      assert.equal((await send('GET', `/sessions/${sessionId}/preview/audio`)).status, 200);
    });

    it('refuses to import `/tmp/../etc/passwd` (a system directory is no project), and reads none of it', async () => {
      // A session's projectPath names a file, it does not serve it; a path under /etc is no
      // project (docs/hardening.md), so every item fails with the one projectPath reason.
      countAttack(SUITE, 3);
      const { result: accepted, opened } = await recordingOpens(async () => {
        const response = await send('POST', '/import', {
          json: { generatePreviews: true, items: [{ projectPath: '/tmp/../etc/passwd' }, { projectPath: '/nonexistent/../../etc/shadow-nope' }, { projectPath: secretPath, previewAudioPath: secretPath }] },
        });
        assert.equal(response.status, 202, response.text);
        const importId = response.body.data.importId;
        return eventually(async () => (await send('GET', `/import/${importId}`)).body.data, (data) => data.done === true, 'the import to finish');
      });
      const outcomes = accepted.items.map((item: { projectPath: string; outcome: string; reason?: string }) => [item.projectPath, item.outcome, item.reason ?? '']);
      const passwd = accepted.items.find((item: { index: number }) => item.index === 0);
      assert.equal(passwd.outcome, 'failed', JSON.stringify(outcomes));
      const missing = accepted.items.find((item: { index: number }) => item.index === 1);
      assert.equal(missing.outcome, 'failed');
      assert.equal(missing.reason, passwd.reason, 'a missing path and a refused one must read the same');
      // The sentinel named as previewAudioPath is no audio: it gets no ready variant, and is never served.
      const third = accepted.items.find((item: { index: number }) => item.index === 2);
      if (third.sessionId) {
        const audio = await send('GET', `/sessions/${third.sessionId}/preview/audio`);
        noSecret('imported sentinel preview', audio);
        assert.notEqual(audio.status, 200, 'the sentinel was served as audio');
      }
      // Opened: only to sniff audio (never /etc/passwd, which is no audio file by its name).
      assert.ok(!opened.includes('/etc/passwd') && !opened.includes('/tmp/../etc/passwd'), `opened ${opened.join(', ')}`);
      for (const event of await readAllEvents(server)) noSecret(`event ${event.position}`, { text: JSON.stringify(event) });
    });
  });

  describe('Range', () => {
    const audio = (range: string) => send('GET', `/sessions/${sessionId}/preview/audio`, { headers: { Range: range } });

    it('answers bytes=-0 and ranges past the end with 416 and Content-Range: bytes */size', async () => {
      for (const range of ['bytes=-0', `bytes=${mixBytes.length}-`, `bytes=${mixBytes.length + 1}-${mixBytes.length + 9}`, 'bytes=999999999999999999999-']) {
        countAttack(SUITE);
        const response = await audio(range);
        assertError(response, 416, 'range_not_satisfiable');
        assert.equal(response.headers['content-range'], `bytes */${mixBytes.length}`);
      }
    });

    it('clamps huge ends and suffixes to the file: never a byte past it, never a negative or NaN length', async () => {
      const cases: Array<[string, number, number]> = [
        ['bytes=0-999999999999999999999', 0, mixBytes.length - 1],
        ['bytes=10-99999999999999999999999999999999', 10, mixBytes.length - 1],
        ['bytes=-99999999999999999999', 0, mixBytes.length - 1],
        [`bytes=-${Number.MAX_SAFE_INTEGER}`, 0, mixBytes.length - 1],
        ['bytes=0-1e400', 0, 1],
      ];
      for (const [range, start, end] of cases) {
        countAttack(SUITE);
        const response = await audio(range);
        if (response.status === 200) {
          // A range it cannot parse is ignored: the whole file, exactly.
          assert.ok(response.bytes!.equals(mixBytes), `${range}: 200 with other bytes`);
          continue;
        }
        assert.equal(response.status, 206, `${range}: ${response.status} ${response.text.slice(0, 200)}`);
        const [, first, last, size] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(response.headers['content-range']))!.map(Number);
        assert.equal(size, mixBytes.length);
        assert.ok(first >= 0 && last < mixBytes.length && first <= last, `${range}: Content-Range ${response.headers['content-range']}`);
        assert.equal(Number(response.headers['content-length']), last - first + 1);
        assert.ok(response.bytes!.equals(mixBytes.subarray(first, last + 1)), `${range}: wrong bytes`);
        if (range !== 'bytes=0-1e400') assert.deepEqual([first, last], [start, end], range);
      }
    });

    it('answers multi-range abuse (hundreds of ranges, overlaps, reversed, garbage) with one range or the whole file, never multipart', async () => {
      const many = Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',');
      const spread = Array.from({ length: 700 }, (_, i) => `${i * 3}-${i * 3}`).join(',');
      const overlapping = Array.from({ length: 500 }, () => '0-').join(',');
      const ranges = [`bytes=${many}`, `bytes=${spread}`, `bytes=${overlapping}`, 'bytes=5-1', 'bytes=0-1,-1,5-', 'bytes=abc', 'items=0-1', 'bytes=', 'bytes=-', 'bytes=1-2-3', 'bytes=0x10-0x20', 'bytes= 0 - 1 ', 'bytes=-1,-1,-1,-1'];
      for (const range of ranges) {
        countAttack(SUITE);
        const response = await audio(range);
        assert.ok([200, 206, 416].includes(response.status), `${range.slice(0, 40)}: ${response.status}`);
        assert.doesNotMatch(String(response.headers['content-type']), /multipart/i, `${range.slice(0, 40)}: multipart`);
        if (response.status === 200) assert.ok(response.bytes!.equals(mixBytes), `${range.slice(0, 40)}: 200 with other bytes`);
        if (response.status === 206) {
          const [, first, last] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(response.headers['content-range']))!.map(Number);
          assert.ok(response.bytes!.equals(mixBytes.subarray(first, last + 1)), `${range.slice(0, 40)}: wrong bytes`);
        }
        if (response.status === 416) assertError(response, 416, 'range_not_satisfiable');
      }
      // A Range header over Node's header limit is refused before the route (413), and the server keeps serving.
      countAttack(SUITE);
      const huge = await audio(`bytes=${Array.from({ length: 3000 }, (_, i) => `${i}-${i}`).join(',')}`);
      assertError(huge, 413, 'payload_too_large');
      assert.equal((await send('GET', '/health')).status, 200);
    });

    it('serves a Range only from the registered file, whatever variant id it is paired with', async () => {
      writeFileSync(join(projects.path('Song/Bounces'), 'secret.txt'), SECRET);
      for (const variant of ['..%2Fsecret.txt', encodeURIComponent(secretPath), 'preview_main%00']) {
        countAttack(SUITE);
        const response = await send('GET', `/sessions/${sessionId}/preview/audio?variantId=${variant}`, { headers: { Range: 'bytes=0-' } });
        noSecret(variant, response);
        assertError(response, 404, 'not_found');
      }
    });
  });
});
