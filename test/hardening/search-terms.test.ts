import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { searchTextOf } from '../../projections/search-text';
import type { CreateSessionBody } from '../../src/commands/create-session';
import { MAX_TERMS } from '../../src/http/query';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { startTestServer, type TestServer } from '../helpers/server';
import { notesOf, ok, seedSessions, wordMaker } from './search-fixtures';

/** Finding 4 at CI size: 200 sessions whose notes are 8,000 characters of made-up words (~270,000 distinct). */
const SESSIONS = 200;
const NOTES_CHARS = 8_000;
const WRITES_DURING_BUILD = 5;
/** Above the RSS the test process had before seeding: what the catalogue, its indexes and the searches may add. */
const MEMORY_GROWTH_BOUND_MB = 400;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const TWO_LETTER_TERMS = Array.from({ length: MAX_TERMS }, (_, index) => LETTERS[index % 26] + LETTERS[(index * 7 + 3) % 26]);

describe('hardening: search, many short terms over many distinct words (finding 4)', function () {
  this.timeout(300_000);
  let server: TestServer;
  const bodies: CreateSessionBody[] = [];
  const acknowledged: string[] = [];
  let rssBefore = 0;

  before(async () => {
    rssBefore = rssBytes();
    server = await startTestServer();
    const word = wordMaker(17);
    for (let index = 0; index < SESSIONS; index += 1) bodies.push({ title: `Song ${index}`, notes: notesOf(word, NOTES_CHARS), tags: [`set${index % 7}`] });
    acknowledged.push(...(await seedSessions(server, bodies)));
  });

  after(async () => {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  /** Matches by §5.3's rule, worked out here from what was written. */
  const expectedTotal = (terms: string[]) => bodies.filter((body) => terms.every((term) => searchTextOf({ title: body.title, client: body.client ?? null, notes: body.notes ?? '', tags: body.tags ?? [] }).includes(term))).length;
  const search = async (terms: string[]) => (await ok(server.api('GET', `/sessions?limit=5&q=${encodeURIComponent(terms.join(' '))}`))).meta.total as number;

  it('given the word index not built yet, when q=a, q=q, 32 two-letter terms and longer words are searched while sessions are written, then /health stays within its bound and every total is right', async () => {
    const idle = await idleHealthMs(server);
    const markers = Array.from({ length: WRITES_DURING_BUILD }, (_, index) => `zzmarker${'abcde'[index]}`);
    const seededWord = bodies[3].notes!.split(' ')[100];
    const work = (async () => {
      // The first search starts the index's build; the writes land while it runs.
      const [first, ...created] = await Promise.all([
        search(['a']),
        ...markers.map(async (marker, index) => {
          const body = { title: `Written during the build ${index}`, notes: `${marker} and more`, tags: ['live'] };
          const session = (await ok(server.api('POST', '/sessions', { json: body }), 201)).data;
          bodies.push(body);
          acknowledged.push(session.id);
          return session.id as string;
        }),
      ]);
      assert.equal(created.length, WRITES_DURING_BUILD);
      const totals: Array<[string[], number]> = [[['a'], first]];
      for (const terms of [['a'], ['q'], TWO_LETTER_TERMS, ['qzx'], [seededWord], [seededWord.slice(1, 4), seededWord.slice(-2)], ['zzmarker'], [markers[2]], ['song', '7']]) {
        totals.push([terms, await search(terms)]);
      }
      return totals;
    })();
    const { result: totals, slowestMs, samples } = await slowestHealthDuring(server, work);
    for (const [terms, total] of totals.slice(1)) assert.equal(total, expectedTotal(terms), `q=${terms.join(' ')}`);
    // The first search ran while the writes landed: it saw at least the seeded matches.
    assert.ok(totals[0][1] >= expectedTotal(['a']) - WRITES_DURING_BUILD && totals[0][1] <= expectedTotal(['a']), `q=a first answered ${totals[0][1]}`);
    assert.equal(expectedTotal(['zzmarker']), WRITES_DURING_BUILD);
    assert.ok(expectedTotal(TWO_LETTER_TERMS) > 0, 'the 32 two-letter terms match some sessions');
    assert.ok(samples >= 5);
    assertHealthWithin(slowestMs, idle);
  });

  it('given the index built, when searches of every kind repeat, then each answers within the /health bound too', async () => {
    const idle = await idleHealthMs(server);
    const work = (async () => {
      for (let round = 0; round < 5; round += 1) for (const terms of [['a'], ['q'], TWO_LETTER_TERMS, ['qzx']]) await search(terms);
    })();
    const { slowestMs } = await slowestHealthDuring(server, work);
    assertHealthWithin(slowestMs, idle);
  });

  it(`refuses a q of ${MAX_TERMS + 1} terms with 400 invalid_query naming the limit, and takes ${MAX_TERMS} repeated ones`, async () => {
    const refused = await server.api('GET', `/sessions?q=${encodeURIComponent([...TWO_LETTER_TERMS, 'zz'].join(' '))}`);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.error.code, 'invalid_query');
    assert.match(refused.body.error.message, /^q may hold at most 32 terms; it holds 33\.$/);
    const repeated = await ok(server.api('GET', `/sessions?q=${encodeURIComponent(Array(MAX_TERMS).fill('song').join(' '))}`));
    assert.equal(repeated.meta.total, expectedTotal(['song']));
  });

  it('keeps memory bounded and the log whole with every acknowledged write', async () => {
    assertMemoryUnder(rssBytes() - rssBefore, MEMORY_GROWTH_BOUND_MB, 'RSS growth of the test process (server in it)');
    await server.stop();
    await assertLogKeeps(server.dataDir, acknowledged);
  });
});
