import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { assertError } from '../helpers/assertions';
import { encodeWav, fixturePath, sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import type { HttpResponse } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';
import { recordingOpens } from '../helpers/open-spy';

/*
 * The audio stream: GET /sessions/{id}/preview/audio?variantId= (contract §4, §6): the registered
 * file's bytes with the sniffed Content-Type, Content-Length, Accept-Ranges, single ranges (206, 416),
 * conditional requests (ETag / Last-Modified: 304), and nothing but registered preview files, ever.
 */

type Json = Record<string, any>;

const UNKNOWN_ID = 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const SECRET = 'TOP-SECRET-SENTINEL 7f3a9c: this file must never be served';

const bytesOf = (response: HttpResponse): Buffer => {
  assert.ok(response.bytes, 'the http helper gave no raw body');
  return response.bytes;
};

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

describe('API: preview audio stream (contract §4, §6)', () => {
  let server: TestServer;
  let audio: AudioDir;
  let mainWav: string;
  let mainBytes: Buffer;
  let altWav: string;
  let secretPath: string;
  const registered = new Set<string>();

  async function createSession(title = 'Audio'): Promise<string> {
    const response = await server.api('POST', '/sessions', { json: { title } });
    assert.equal(response.status, 201, response.text);
    return response.body.data.id;
  }

  async function attach(id: string, body: Json): Promise<Json> {
    const response = await server.api('POST', `/sessions/${id}/previews`, { json: body });
    assert.equal(response.status, 201, response.text);
    registered.add(body.path);
    return response.body.data;
  }

  const audioOf = (id: string, query = '', headers: Record<string, string> = {}) =>
    server.api('GET', `/sessions/${id}/preview/audio${query}`, { headers });

  /** A session whose only (preferred) variant is main.wav. */
  async function sessionWithMain(): Promise<string> {
    const id = await createSession();
    await attach(id, { path: mainWav, id: 'preview_main' });
    return id;
  }

  before(async () => {
    audio = tempAudioDir();
    mainWav = writeWav(audio.file('main.wav'), sine({ durationS: 1 }));
    mainBytes = readFileSync(mainWav);
    altWav = writeWav(audio.file('alt.wav'), sine({ durationS: 0.25, amplitude: 0.25 }), { encoding: 'pcm24' });
    secretPath = audio.file('secret.txt');
    writeFileSync(secretPath, SECRET);
    server = await startTestServer();
  });

  after(async () => {
    await server.dispose();
    audio.cleanup();
  });

  describe('whole file', () => {
    it('streams the preferred variant: 200, audio/wav, Content-Length, Accept-Ranges, ETag, Last-Modified, the exact bytes', async () => {
      const id = await sessionWithMain();

      const response = await audioOf(id);

      assert.equal(response.status, 200, response.text.slice(0, 200));
      assert.equal(response.headers['content-type'], 'audio/wav');
      assert.equal(response.headers['content-length'], String(mainBytes.length));
      assert.equal(response.headers['accept-ranges'], 'bytes');
      assert.ok(response.headers.etag, 'no ETag');
      assert.ok(response.headers['last-modified'], 'no Last-Modified');
      const lastModified = Date.parse(String(response.headers['last-modified']));
      assert.equal(lastModified, Math.floor(statSync(mainWav).mtimeMs / 1000) * 1000, 'Last-Modified is not the file mtime (to the second)');
      assert.ok(bytesOf(response).equals(mainBytes), 'the body is not the file');
      assert.ok(response.headers['x-request-id'], 'no X-Request-Id');
    });

    it('serves another variant with ?variantId= and the preferred one without it', async () => {
      const id = await sessionWithMain();
      await attach(id, { path: altWav, id: 'preview_alt' });

      const preferred = await audioOf(id);
      const alt = await audioOf(id, '?variantId=preview_alt');
      const explicitMain = await audioOf(id, '?variantId=preview_main');

      assert.equal(alt.status, 200, alt.text.slice(0, 200));
      assert.ok(bytesOf(alt).equals(readFileSync(altWav)));
      assert.equal(alt.headers['content-length'], String(statSync(altWav).size));
      assert.ok(bytesOf(preferred).equals(mainBytes));
      assert.ok(bytesOf(explicitMain).equals(mainBytes));
      assert.notEqual(alt.headers.etag, preferred.headers.etag);
    });

    it('sends the Content-Type sniffed from the header: WAV named .mp3 is audio/wav; FLAC, MP3, Ogg, AIFF', async () => {
      const mislabelled = audio.file('types/mislabelled.mp3');
      copyFileSync(mainWav, mislabelled);
      const cases: Array<[string, string]> = [
        [mislabelled, 'audio/wav'],
        [fixturePath('sine-440.flac'), 'audio/flac'],
        [fixturePath('sine-440.mp3'), 'audio/mpeg'],
        [fixturePath('sine-440.ogg'), 'audio/ogg'],
        [fixturePath('sine-440-stereo-24.aiff'), 'audio/aiff'],
      ];
      const id = await createSession('Types');
      for (const [index, [path]] of cases.entries()) await attach(id, { path, id: `v${index}` });

      for (const [index, [path, mime]] of cases.entries()) {
        const response = await audioOf(id, `?variantId=v${index}`);
        assert.equal(response.status, 200, `${path}: ${response.status}`);
        assert.equal(response.headers['content-type'], mime, path);
        assert.ok(bytesOf(response).equals(readFileSync(path)), path);
      }
    });

    it('streams a multi-megabyte file intact', async () => {
      const big = writeWav(audio.file('big/long.wav'), sine({ durationS: 20, channels: 2 }), { encoding: 'pcm24' });
      const bigBytes = readFileSync(big);
      assert.ok(bigBytes.length > 5_000_000);
      const id = await createSession('Big');
      await attach(id, { path: big });

      const response = await audioOf(id);

      assert.equal(response.status, 200);
      assert.equal(response.headers['content-length'], String(bigBytes.length));
      assert.ok(bytesOf(response).equals(bigBytes), 'the streamed body differs from the file');
    });
  });

  describe('ranges', () => {
    const size = () => mainBytes.length;

    const cases: Array<[string, () => string, () => [number, number]]> = [
      ['the first 100 bytes (bytes=0-99)', () => 'bytes=0-99', () => [0, 99]],
      ['a middle range (bytes=1000-1999)', () => 'bytes=1000-1999', () => [1000, 1999]],
      ['a single byte (bytes=44-44)', () => 'bytes=44-44', () => [44, 44]],
      ['a suffix (bytes=-100): the last 100 bytes', () => 'bytes=-100', () => [size() - 100, size() - 1]],
      ['an open range (bytes=100-): from 100 to the end', () => 'bytes=100-', () => [100, size() - 1]],
      ['the last byte (bytes=<size-1>-)', () => `bytes=${size() - 1}-`, () => [size() - 1, size() - 1]],
      ['an end past the file, clamped (bytes=10-<huge>)', () => 'bytes=10-999999999', () => [10, size() - 1]],
      ['a suffix longer than the file: the whole file', () => `bytes=-${size() + 500}`, () => [0, size() - 1]],
    ];
    for (const [what, range, expected] of cases) {
      it(`answers 206 with Content-Range and exactly those bytes for ${what}`, async () => {
        const id = await sessionWithMain();

        const response = await audioOf(id, '', { Range: range() });

        const [start, end] = expected();
        assert.equal(response.status, 206, response.text.slice(0, 200));
        assert.equal(response.headers['content-range'], `bytes ${start}-${end}/${size()}`);
        assert.equal(response.headers['content-length'], String(end - start + 1));
        assert.equal(response.headers['content-type'], 'audio/wav');
        assert.equal(response.headers['accept-ranges'], 'bytes');
        assert.ok(bytesOf(response).equals(mainBytes.subarray(start, end + 1)), 'wrong bytes');
      });
    }

    it('serves a range of a non-preferred variant', async () => {
      const id = await sessionWithMain();
      await attach(id, { path: altWav, id: 'preview_alt' });
      const altBytes = readFileSync(altWav);

      const response = await audioOf(id, '?variantId=preview_alt', { Range: 'bytes=-10' });

      assert.equal(response.status, 206);
      assert.equal(response.headers['content-range'], `bytes ${altBytes.length - 10}-${altBytes.length - 1}/${altBytes.length}`);
      assert.ok(bytesOf(response).equals(altBytes.subarray(altBytes.length - 10)));
    });

    for (const [what, range] of [
      ['starting at the size (bytes=<size>-)', () => `bytes=${size()}-`],
      ['entirely past the end', () => `bytes=${size() + 10}-${size() + 20}`],
      ['an empty suffix (bytes=-0)', () => 'bytes=-0'],
    ] as const) {
      it(`answers 416 range_not_satisfiable (JSON, Content-Range: bytes */size) for a range ${what}`, async () => {
        const id = await sessionWithMain();

        const response = await audioOf(id, '', { Range: range() });

        assertError(response, 416, 'range_not_satisfiable');
        assert.equal(response.headers['content-range'], `bytes */${size()}`);
      });
    }
  });

  describe('conditional requests', () => {
    it('answers 304 without a body for If-None-Match with the ETag, 200 for another ETag', async () => {
      const id = await sessionWithMain();
      const first = await audioOf(id);
      const etag = String(first.headers.etag);

      const again = await audioOf(id, '', { 'If-None-Match': etag });
      const other = await audioOf(id, '', { 'If-None-Match': '"something-else"' });

      assert.equal(again.status, 304);
      assert.equal(bytesOf(again).length, 0);
      assert.equal(again.headers.etag, etag);
      assert.equal(other.status, 200);
      assert.ok(bytesOf(other).equals(mainBytes));
    });

    it('answers 304 for If-Modified-Since at Last-Modified, 200 for a date before it', async () => {
      const id = await sessionWithMain();
      const first = await audioOf(id);
      const lastModified = String(first.headers['last-modified']);

      const same = await audioOf(id, '', { 'If-Modified-Since': lastModified });
      const earlier = await audioOf(id, '', { 'If-Modified-Since': new Date(Date.parse(lastModified) - 60_000).toUTCString() });

      assert.equal(same.status, 304);
      assert.equal(bytesOf(same).length, 0);
      assert.equal(earlier.status, 200);
      assert.ok(bytesOf(earlier).equals(mainBytes));
    });

    it('changes the ETag when the file changes on disk', async () => {
      const path = writeWav(audio.file('changing/mix.wav'), sine({ durationS: 0.2 }));
      const id = await createSession('Changing');
      await attach(id, { path });
      const before = await audioOf(id);

      writeFileSync(path, encodeWav(sine({ durationS: 0.3, amplitude: 0.1 })));
      const after = await audioOf(id, '', { 'If-None-Match': String(before.headers.etag) });

      assert.equal(after.status, 200);
      assert.notEqual(after.headers.etag, before.headers.etag);
      assert.ok(bytesOf(after).equals(readFileSync(path)));
    });
  });

  describe('not found and never anything but registered files', () => {
    it('answers 404 not_found for a session without variants, an unknown session and a deleted one', async () => {
      const bare = await createSession('Bare');
      const deleted = await sessionWithMain();
      assert.equal((await server.api('DELETE', `/sessions/${deleted}`)).status, 200);

      for (const id of [bare, UNKNOWN_ID, deleted]) {
        assertError(await audioOf(id), 404, 'not_found');
        assertError(await audioOf(id, '?variantId=preview_main'), 404, 'not_found');
      }
    });

    it('answers 401 unauthorized without a token (JSON, no audio)', async () => {
      const id = await sessionWithMain();
      const response = await server.api('GET', `/sessions/${id}/preview/audio`, { token: null });
      assertError(response, 401, 'unauthorized', 'Provide Authorization: Bearer <token>.');
    });

    it('answers 404 for unknown and hostile variant ids and opens no file but registered ones (sentinel never served)', async () => {
      // Given a session whose variant sits next to a secret file
      const id = await sessionWithMain();
      const hostile = [
        'preview_nope',
        'secret.txt',
        'secret',
        '../../etc/passwd',
        encodeURIComponent('../../etc/passwd'),
        '%2e%2e%2f%2e%2e%2fsecret.txt',
        '..%2Fsecret.txt',
        encodeURIComponent(secretPath),
        encodeURIComponent(mainWav),
        'preview_main%2F..%2F..%2Fsecret.txt',
        'preview_main/../secret.txt',
        'preview_main%00',
        '%00',
        'main',
        'PREVIEW_MAIN',
      ];

      // When each is asked for, directly and with a Range, plus paths and query keys that aim at the file system
      const { result: responses, opened } = await recordingOpens(async () => {
        const out: Array<[string, HttpResponse]> = [];
        for (const variant of hostile) {
          out.push([variant, await audioOf(id, `?variantId=${variant}`)]);
          out.push([`${variant} (Range)`, await audioOf(id, `?variantId=${variant}`, { Range: 'bytes=0-' })]);
        }
        for (const path of [
          `/sessions/${id}/preview/audio/secret.txt`,
          `/sessions/${id}/preview/audio/..%2F..%2Fsecret.txt`,
          `/sessions/${id}/preview/${encodeURIComponent(secretPath)}`,
          `/sessions/${id}/previews/preview_main/secret.txt`,
        ]) {
          out.push([path, await server.api('GET', path)]);
        }
        out.push(['?path=', await audioOf(id, `?path=${encodeURIComponent(secretPath)}`)]);
        out.push(['?file=', await audioOf(id, `?file=${encodeURIComponent(secretPath)}`)]);
        return out;
      });

      // Then the unknown ids are 404 not_found, nothing ever carries the secret, only registered files were opened
      for (const [what, response] of responses) {
        assert.ok(!bytesOf(response).includes(SECRET.slice(0, 20)), `${what} served the secret`);
        if (response.status === 200) {
          // An ignored extra query parameter may serve the preferred file: then it is exactly that.
          assert.ok(what.startsWith('?'), `${what}: 200`);
          assert.ok(bytesOf(response).equals(mainBytes), `${what}: 200 with other bytes`);
        } else if (what.startsWith('/') || what.startsWith('?')) {
          assert.ok([400, 404, 405].includes(response.status), `${what}: ${response.status} ${response.text}`);
        } else {
          assertError(response, 404, 'not_found');
        }
      }
      const strangers = opened.filter((path) => !inside(server.dataDir, path) && !registered.has(path));
      assert.deepEqual(strangers, [], `opened files that are no registered preview: ${strangers.join(', ')}`);
      assert.ok(!opened.some((path) => path.includes('secret')), 'the sentinel was opened');
    });

    it('opens exactly the registered file for a good request (the spy sees the server)', async () => {
      const id = await sessionWithMain();

      const { result: response, opened } = await recordingOpens(() => audioOf(id));

      assert.equal(response.status, 200);
      assert.ok(opened.includes(mainWav), `the spy did not see ${mainWav} opened: ${JSON.stringify(opened)}`);
      // (Background analysis of earlier attachments may open their files meanwhile: registered too.)
      assert.deepEqual(opened.filter((path) => !inside(server.dataDir, path) && !registered.has(path)), []);
    });

    it('answers 404 not_found saying the file is missing when it was deleted from disk, and marks the variant failed', async () => {
      // Given a ready variant whose file is then deleted
      const path = writeWav(audio.file('gone/vanishing.wav'), sine({ durationS: 0.2 }));
      const id = await createSession('Vanishing');
      await attach(id, { path, id: 'preview_gone' });
      await eventually(
        async () => (await server.api('GET', `/sessions/${id}/preview`)).body.data,
        (preview) => preview.previews[0].status === 'ready',
        'the variant becoming ready',
      );
      unlinkSync(path);

      // When its audio is asked for
      const response = await audioOf(id);
      const ranged = await audioOf(id, '?variantId=preview_gone', { Range: 'bytes=0-10' });

      // Then 404 not_found whose message says the file is missing
      assertError(response, 404, 'not_found', /missing/i);
      assertError(ranged, 404, 'not_found', /missing/i);

      // And the variant (the preferred one) becomes failed
      const preview = await eventually(
        async () => (await server.api('GET', `/sessions/${id}/preview`)).body.data,
        (value) => value.previews[0].status === 'failed',
        'the variant becoming failed',
      );
      assert.equal(preview.previewStatus, 'failed');
      assert.equal((await server.api('GET', `/sessions/${id}`)).body.data.previewStatus, 'failed');

      // And the server keeps answering
      assert.equal((await server.api('GET', '/health')).status, 200);
    });
  });
});
