import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { CreateSessionBody } from '../../src/commands/create-session';
import { TAG_PAGE } from '../../src/http/query';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { startTestServer, type TestServer } from '../helpers/server';
import { ok, seedSessions } from './search-fixtures';

/** Finding 11 at CI size: 300 sessions with 64 tags each, 61 of them held by no other session (~18,300 tags). */
const SESSIONS = 300;
const MEMORY_GROWTH_BOUND_MB = 300;

interface TagCount {
  tag: string;
  count: number;
}

describe('hardening: GET /tags over many unique tags, a page at a time (finding 11)', function () {
  this.timeout(180_000);
  let server: TestServer;
  const acknowledged: string[] = [];
  const bodies: CreateSessionBody[] = [];
  let rssBefore = 0;

  before(async () => {
    rssBefore = rssBytes();
    server = await startTestServer();
    for (let index = 0; index < SESSIONS; index += 1) {
      const shared = ['all', ...(index % 2 === 0 ? ['even'] : []), ...(index % 3 === 0 ? ['third'] : [])];
      const unique = Array.from({ length: 64 - shared.length }, (_, tag) => `s${index}-tag-${tag}`);
      bodies.push({ title: `Tagged ${index}`, tags: [...shared, ...unique] });
    }
    acknowledged.push(...(await seedSessions(server, bodies)));
  });

  after(async () => {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  const expectedTags = (): TagCount[] => {
    const counts = new Map<string, number>();
    for (const body of bodies) for (const tag of body.tags ?? []) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    return [...counts].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  };

  it('given ~18,000 tags, when every page is read, then pages of at most 1,000 with meta, in count-then-tag order, /health within its bound', async () => {
    // The first read builds the tag index and the tags' order (a slice per turn): measured too.
    const idle = await idleHealthMs(server);
    const work = (async () => {
      const first = await ok(server.api('GET', '/tags'));
      const pages: TagCount[] = [];
      for (let offset = 0; ; offset += TAG_PAGE.maxLimit) {
        const page = await ok(server.api('GET', `/tags?limit=5000&offset=${offset}`));
        assert.deepEqual(page.meta, { total: page.meta.total, limit: TAG_PAGE.maxLimit, offset });
        pages.push(...page.data);
        if (page.data.length < TAG_PAGE.maxLimit) return { first, pages, total: page.meta.total as number };
      }
    })();
    const { result, slowestMs } = await slowestHealthDuring(server, work);
    const expected = expectedTags();
    assert.equal(result.total, expected.length);
    assert.deepEqual(result.first.meta, { total: expected.length, limit: TAG_PAGE.defaultLimit, offset: 0 });
    // A client that reads only the first page's data sees the most used tags, in order.
    assert.deepEqual(result.first.data, expected.slice(0, TAG_PAGE.defaultLimit));
    assert.deepEqual(result.first.data.slice(0, 3), [
      { tag: 'all', count: SESSIONS },
      { tag: 'even', count: SESSIONS / 2 },
      { tag: 'third', count: SESSIONS / 3 },
    ]);
    assert.deepEqual(result.pages, expected);
    assertHealthWithin(slowestMs, idle);
  });

  it('given tags changed after the first read, then the pages follow: counts, order and the most used spelling', async () => {
    const page = async (query: string) => (await ok(server.api('GET', `/tags?${query}`))).data as TagCount[];
    // Two sessions take the unique tag of a third, one of them in another spelling.
    const [a, b] = acknowledged;
    bodies[0].tags = [...bodies[0].tags!.slice(0, 10), 's2-tag-5', 'S2-TAG-9'];
    bodies[1].tags = [...bodies[1].tags!.slice(0, 10), 'S2-TAG-9'];
    await ok(server.api('PUT', `/sessions/${a}/tags`, { json: { tags: bodies[0].tags } }));
    await ok(server.api('PUT', `/sessions/${b}/tags`, { json: { tags: bodies[1].tags } }));
    assert.deepEqual(await page('limit=5'), [
      { tag: 'all', count: SESSIONS },
      { tag: 'even', count: SESSIONS / 2 },
      { tag: 'third', count: SESSIONS / 3 },
      // s2-tag-9 is held three times: twice spelt S2-TAG-9.
      { tag: 'S2-TAG-9', count: 3 },
      { tag: 's2-tag-5', count: 2 },
    ]);
    const total = (await ok(server.api('GET', '/tags?limit=1'))).meta.total;
    assert.equal(total, expectedTags().length - 1, 'S2-TAG-9 and s2-tag-9 are one tag');
    const deep = await page(`offset=${total - 2}&limit=10`);
    assert.equal(deep.length, 2);
  });

  for (const [query, message] of [
    ['limit=0', /^limit must be a whole number of 1 or more\.$/],
    ['limit=abc', /^limit must be a whole number of 1 or more\.$/],
    ['offset=-1', /^offset must be a whole number of 0 or more\.$/],
    ['limit=1&limit=2', /^limit may be given only once\.$/],
  ] as const) {
    it(`answers /tags?${query} with 400 invalid_query`, async () => {
      const refused = await server.api('GET', `/tags?${query}`);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.error.code, 'invalid_query');
      assert.match(refused.body.error.message, message);
    });
  }

  it('keeps memory bounded and the log whole with every acknowledged write', async () => {
    assertMemoryUnder(rssBytes() - rssBefore, MEMORY_GROWTH_BOUND_MB, 'RSS growth of the test process (server in it)');
    await server.stop();
    await assertLogKeeps(server.dataDir, acknowledged);
  });
});
