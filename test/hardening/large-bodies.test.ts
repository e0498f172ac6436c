import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import Koa from 'koa';
import { BODY_PIECE_UNITS, setTextBody, textPieces } from '../../src/http/response-body';
import { startTestServer, type TestServer } from '../helpers/server';

/** A sliders emoji: two UTF-16 code units (a surrogate pair), four UTF-8 bytes. */
const EMOJI = '\u{1F39B}';
/** The most bytes a piece of BODY_PIECE_UNITS code units can encode to: under glibc's 128 KiB mmap threshold. */
const MAX_PIECE_BYTES = 3 * BODY_PIECE_UNITS;

async function chunksOf(body: unknown): Promise<Buffer[]> {
  assert.ok(body instanceof Readable, 'a long body is a stream');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks;
}

describe('large response bodies stay out of the allocator\'s mmap path (issue 17, the soak\'s native memory)', () => {
  describe('textPieces', () => {
    it('cuts a text into pieces of at most the given code units that join back into it', () => {
      const text = 'abcdefghij'.repeat(7);
      const pieces = [...textPieces(text, 16)];
      assert.deepEqual(pieces.map((piece) => piece.length), [16, 16, 16, 16, 6]);
      assert.equal(pieces.join(''), text);
    });

    it('never cuts a surrogate pair, wherever the pairs fall', () => {
      for (const prefix of ['', 'x', 'xy']) {
        const text = `${prefix}${EMOJI.repeat(20)}é`;
        const pieces = [...textPieces(text, 5)];
        assert.equal(pieces.join(''), text);
        for (const piece of pieces) {
          assert.ok(piece.length <= 5);
          assert.equal(Buffer.from(piece).toString('utf8'), piece, `piece ${JSON.stringify(piece)} encodes without a lone surrogate`);
        }
      }
    });

    it('gives nothing for an empty text and refuses a piece size that cannot hold a pair', () => {
      assert.deepEqual([...textPieces('', 4)], []);
      assert.throws(() => [...textPieces('abc', 1)], { name: 'RangeError', message: 'a piece needs room for a surrogate pair, not 1 code units' });
    });
  });

  describe('setTextBody', () => {
    /** A Koa context over a response that only keeps its headers. */
    const contextOf = () => {
      const headers = new Map<string, unknown>();
      const response = {
        setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), value),
        getHeader: (name: string) => headers.get(name.toLowerCase()),
        removeHeader: (name: string) => headers.delete(name.toLowerCase()),
        hasHeader: (name: string) => headers.has(name.toLowerCase()),
        getHeaders: () => Object.fromEntries(headers),
      };
      return new Koa().createContext({ headers: {}, method: 'GET', url: '/', socket: {} } as never, response as never);
    };

    it('leaves a body of up to BODY_PIECE_UNITS code units as it is', () => {
      const ctx = contextOf();
      const text = 'a'.repeat(BODY_PIECE_UNITS);
      setTextBody(ctx, text);
      assert.equal(ctx.body, text);
    });

    it('sends a longer one as buffers of at most 48 KiB with the whole body\'s Content-Length', async () => {
      const ctx = contextOf();
      const text = `{"notes":"${'é'.repeat(BODY_PIECE_UNITS)}${EMOJI.repeat(BODY_PIECE_UNITS)}"}`;
      setTextBody(ctx, text);
      assert.equal(ctx.length, Buffer.byteLength(text));
      const chunks = await chunksOf(ctx.body);
      assert.ok(chunks.length >= 4, `${chunks.length} pieces`);
      for (const chunk of chunks) assert.ok(chunk.length <= MAX_PIECE_BYTES, `a piece of ${chunk.length} bytes`);
      assert.equal(Buffer.concat(chunks).toString('utf8'), text);
    });
  });

  describe('over HTTP', () => {
    let server: TestServer;

    beforeEach(async () => {
      server = await startTestServer();
    });

    afterEach(async () => {
      await server.dispose();
    });

    it('a client reading sessions with 20,000-character notes gets every character, with Content-Length and no chunked encoding', async () => {
      // Notes of emoji only, after a prefix of each parity: wherever a piece ends, a cut pair would show as U+FFFD.
      const notesOf = ['', 'x', 'xy'].map((prefix) => `${prefix}${EMOJI.repeat((20_000 - prefix.length) / 2 - 1)}`);
      const ids: string[] = [];
      for (const [index, notes] of notesOf.entries()) {
        const created = await server.api('POST', '/sessions', { json: { title: `Long notes ${index}`, kind: 'Ableton', notes } });
        assert.equal(created.status, 201, created.text);
        ids.push(created.body.data.id);
      }
      for (const [index, id] of ids.entries()) {
        const one = await server.api('GET', `/sessions/${id}`);
        assert.equal(one.status, 200);
        assert.ok(one.text.length > BODY_PIECE_UNITS, `a body of ${one.text.length} code units`);
        assert.equal(one.headers['content-length'], String(one.bytes!.length));
        assert.equal(one.headers['transfer-encoding'], undefined);
        assert.match(String(one.headers['content-type']), /^application\/json; charset=utf-8/);
        assert.equal(one.body.data.notes, notesOf[index]);
      }
      const list = await server.api('GET', '/sessions?limit=10');
      assert.equal(list.status, 200);
      assert.equal(list.headers['content-length'], String(list.bytes!.length));
      assert.equal(list.headers['transfer-encoding'], undefined);
      assert.equal(list.body.meta.total, 3);
      assert.deepEqual(new Set(list.body.data.map((session: { notes: string }) => session.notes)), new Set(notesOf));
    });

    it('answers HEAD on a long body with its length and no body', async () => {
      const created = await server.api('POST', '/sessions', { json: { title: 'Long', kind: 'Ableton', notes: EMOJI.repeat(9_999) } });
      assert.equal(created.status, 201, created.text);
      const get = await server.api('GET', `/sessions/${created.body.data.id}`);
      const head = await server.api('HEAD', `/sessions/${created.body.data.id}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], get.headers['content-length']);
      assert.equal(head.bytes!.length, 0);
    });
  });
});
