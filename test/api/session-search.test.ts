import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertError } from '../helpers/assertions';
import { DAY_MS, seedCatalogue, type SeededSession, type SessionSeed } from '../helpers/catalogue';
import type { HttpResponse } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';

/*
 * GET /sessions (contract §5.3) against a reference written from the contract, not from the
 * server: filter the sessions the test created, sort them, cut the page. The reference reads the
 * sessions as the API returned them (updatedAt, lastOpened, trimmed and de-duplicated fields).
 */

type Pairs = Array<[string, string]>;

const RECENT_DAYS = 30;
const SORTS = ['title', 'kind', 'status', 'lastOpened', 'createdAt', 'updatedAt'] as const;
type Sort = (typeof SORTS)[number];
type Order = 'asc' | 'desc';

interface ExpectedPage {
  ids: string[];
  total: number;
  limit: number;
  offset: number;
}

const pathOf = (pairs: Pairs) => `/sessions${pairs.length === 0 ? '' : '?'}${pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')}`;

/** Case- and accent-insensitive: decomposed, marks dropped, lower case. */
const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const time = (iso: string) => Date.parse(iso);
/** Sessions show their times in whole seconds, and `recent` compares them so: its cut-off is taken to the second below. */
const wholeSecondBelow = (ms: number) => Math.floor(ms / 1000) * 1000;

/** §5.3's order for a sort and order: ties by id ascending whatever the order. */
function referenceOrder(sort: Sort | undefined, order: Order | undefined): (a: SeededSession, b: SeededSession) => number {
  const sign = (natural: Order) => ((order ?? natural) === 'asc' ? 1 : -1);
  const byId = (a: SeededSession, b: SeededSession) => compareText(a.id, b.id);
  const neverOpenedLast = (a: SeededSession, b: SeededSession) => Number(a.lastOpened === null) - Number(b.lastOpened === null);
  const byLastOpened = (a: SeededSession, b: SeededSession) =>
    a.lastOpened !== null && b.lastOpened !== null ? sign('desc') * (time(a.lastOpened) - time(b.lastOpened)) : 0;
  switch (sort) {
    case 'title':
    case 'kind':
      return (a, b) => sign('asc') * compareText(fold(a[sort]), fold(b[sort])) || byId(a, b);
    case 'status':
      return (a, b) => sign('asc') * compareText(a.status, b.status) || byId(a, b);
    case 'createdAt':
    case 'updatedAt':
      return (a, b) => sign('desc') * (time(a[sort]) - time(b[sort])) || byId(a, b);
    case 'lastOpened':
      return (a, b) => neverOpenedLast(a, b) || byLastOpened(a, b) || byId(a, b);
    case undefined:
      // lastOpened newest first, never-opened last, then updatedAt newest first; `order` reverses the times.
      return (a, b) => neverOpenedLast(a, b) || byLastOpened(a, b) || sign('desc') * (time(a.updatedAt) - time(b.updatedAt)) || byId(a, b);
  }
}

/** The page §5.3 asks for, over `sessions`, for a valid query, `now` being the server's clock. */
function referenceList(sessions: readonly SeededSession[], pairs: Pairs, now: number): ExpectedPage {
  const values = (name: string) => pairs.filter(([key]) => key === name).map(([, value]) => value);
  const value = (name: string): string | undefined => values(name)[0];
  const terms = (value('q') ?? '').split(/\s+/).filter((term) => term !== '').map(fold);
  const kind = value('kind') ?? value('daw');
  const tags = values('tags').flatMap((tag) => tag.split(',')).filter((tag) => tag !== '');
  const recent = value('recent') === 'true';
  const limit = Math.min(Number(value('limit') ?? 50), 500);
  const offset = Number(value('offset') ?? 0);

  const matches = sessions.filter(
    (session) =>
      terms.every((term) => [session.title, session.client ?? '', session.notes, ...session.tags].some((field) => fold(field).includes(term))) &&
      (kind === undefined || session.kind.toLowerCase() === kind.toLowerCase()) &&
      tags.every((tag) => session.tags.some((own) => own.toLowerCase() === tag.toLowerCase())) &&
      (!recent || (session.lastOpened !== null && time(session.lastOpened) >= wholeSecondBelow(now - RECENT_DAYS * DAY_MS))),
  );
  const ordered = [...matches].sort(referenceOrder(value('sort') as Sort | undefined, value('order') as Order | undefined));
  return { ids: ordered.slice(offset, offset + limit).map((session) => session.id), total: matches.length, limit, offset };
}

const pageOf = (response: HttpResponse): ExpectedPage => {
  assert.equal(response.status, 200, response.text);
  return {
    ids: response.body.data.map((session: { id: string }) => session.id),
    total: response.body.meta.total,
    limit: response.body.meta.limit,
    offset: response.body.meta.offset,
  };
};

/**
 * Lists `pairs` and returns the server's page and the reference's. The server reads its clock
 * during the request; the reference is computed at both ends of it and must not depend on which.
 */
async function listBoth(server: TestServer, sessions: readonly SeededSession[], pairs: Pairs): Promise<{ got: ExpectedPage; expected: ExpectedPage }> {
  const before = Date.now();
  const response = await server.api('GET', pathOf(pairs));
  const after = Date.now();
  const expected = referenceList(sessions, pairs, before);
  assert.deepEqual(referenceList(sessions, pairs, after), expected, 'the catalogue straddles the recent cut-off: the test itself is ambiguous');
  return { got: pageOf(response), expected };
}

const titlesOf = (sessions: readonly SeededSession[], ids: readonly string[]) => ids.map((id) => sessions.find((session) => session.id === id)!.title);

describe('GET /sessions: listing and search (contract §5.3)', () => {
  describe('the docs examples on a seeded catalogue', () => {
    let server: TestServer;
    let sessions: SeededSession[];

    before(async () => {
      server = await startTestServer();
      const now = Date.now();
      const ago = (days: number) => new Date(now - days * DAY_MS).toISOString();
      // Created one after the other: ids ascend in this order.
      const seeds: SessionSeed[] = [
        { title: 'Café Drums', kind: 'Ableton', tags: ['Mix', 'priority'], client: 'Nora', notes: 'EDM kick layering', openedAt: ago(2) },
        { title: 'Cafe drums II', kind: 'ableton', tags: ['mix', 'Priority'], openedAt: ago(5) },
        { title: 'Drum & Bass Drums', kind: 'Ableton', tags: ['mix'], openedAt: ago(1) },
        { title: 'Big Drums', kind: 'Logic Pro', tags: ['mix', 'priority'], openedAt: ago(3) },
        { title: 'Alpha drums', kind: 'ABLETON', tags: ['MIX', 'PRIORITY'], openedAt: ago(40) },
        { title: 'Zebra DRÜMS', kind: 'Ableton', tags: ['priority', 'mix'], openedAt: ago(10) },
        { title: 'Ambient Pads', kind: 'Ableton', tags: ['mix', 'priority'], notes: 'add drums later', openedAt: ago(7) },
        { title: 'Late Night', kind: 'Ableton', tags: ['mix', 'priority'], client: 'Drumsticks Inc', openedAt: null },
        { title: 'EDM Anthem', kind: 'FL Studio', tags: ['edm'], openedAt: ago(1 / 24) },
        { title: 'Festival edit', kind: 'Reaper', tags: ['EDM', 'vocals'], openedAt: ago(12) },
        { title: 'Club Mix', kind: 'Ableton', tags: ['Mix'], client: 'EDM Records', openedAt: ago(40) },
        { title: 'Sketch', kind: 'Other', openedAt: null },
        { title: 'Wedding Song', kind: 'Logic Pro', notes: 'édm remix requested', openedAt: ago(20) },
        { title: 'CAFE DRUMS', kind: 'Ableton', tags: ['mix', 'priority'], openedAt: ago(4) },
        // Either side of the 30-day cut-off, by ten minutes.
        { title: 'Drums Demo', kind: 'Ableton', tags: ['mix', 'priority'], openedAt: ago(RECENT_DAYS + 10 / 1440) },
        { title: 'Edm bootleg', kind: 'Other', openedAt: ago(RECENT_DAYS - 10 / 1440) },
      ];
      sessions = await seedCatalogue(server, seeds);
    });

    after(async () => {
      await server?.dispose();
    });

    it('recent=true&limit=5: the five most recently opened of the eleven opened in 30 days', async () => {
      // Given the catalogue, when the docs' first example is listed
      const { got, expected } = await listBoth(server, sessions, [
        ['recent', 'true'],
        ['limit', '5'],
      ]);
      // Then the page is the reference's, which is the one worked out by hand
      assert.deepEqual(got, expected);
      assert.deepEqual(titlesOf(sessions, got.ids), ['EDM Anthem', 'Drum & Bass Drums', 'Café Drums', 'Big Drums', 'CAFE DRUMS']);
      assert.deepEqual({ total: got.total, limit: got.limit, offset: got.offset }, { total: 11, limit: 5, offset: 0 });
    });

    it('q=edm&recent=true&limit=10: title, tag, notes and accented notes match; not opened in 30 days, no match', async () => {
      const { got, expected } = await listBoth(server, sessions, [
        ['q', 'edm'],
        ['recent', 'true'],
        ['limit', '10'],
      ]);
      assert.deepEqual(got, expected);
      assert.deepEqual(titlesOf(sessions, got.ids), ['EDM Anthem', 'Café Drums', 'Festival edit', 'Wedding Song', 'Edm bootleg']);
      assert.deepEqual({ total: got.total, limit: got.limit, offset: got.offset }, { total: 5, limit: 10, offset: 0 });
    });

    it('q=drums&kind=Ableton&daw=Ableton&tags=mix%2Cpriority&recent=true&sort=title: every filter at once, folded titles A-Z, ties by id', async () => {
      const pairs: Pairs = [
        ['q', 'drums'],
        ['kind', 'Ableton'],
        ['daw', 'Ableton'],
        ['tags', 'mix,priority'],
        ['recent', 'true'],
        ['sort', 'title'],
        ['limit', '10'],
        ['offset', '0'],
      ];
      assert.equal(pathOf(pairs), '/sessions?q=drums&kind=Ableton&daw=Ableton&tags=mix%2Cpriority&recent=true&sort=title&limit=10&offset=0');
      const { got, expected } = await listBoth(server, sessions, pairs);
      assert.deepEqual(got, expected);
      // "Café Drums" and "CAFE DRUMS" fold to the same title: the older id first.
      assert.deepEqual(titlesOf(sessions, got.ids), ['Ambient Pads', 'Café Drums', 'CAFE DRUMS', 'Cafe drums II', 'Zebra DRÜMS']);
      assert.equal(got.total, 5);
    });

    it('kind=ableton&daw=Ableton agree case-insensitively: 200, the same filter as kind=Ableton', async () => {
      const { got, expected } = await listBoth(server, sessions, [
        ['kind', 'ableton'],
        ['daw', 'Ableton'],
      ]);
      assert.deepEqual(got, expected);
      assert.equal(got.total, 10);
      assert.deepEqual(got, pageOf(await server.api('GET', '/sessions?kind=Ableton')));
    });

    it('tags compare case-insensitively but not accent-folded: tags=EDM matches "edm", tags=édm matches nothing', async () => {
      const edm = await listBoth(server, sessions, [['tags', 'EDM']]);
      assert.deepEqual(edm.got, edm.expected);
      assert.deepEqual(titlesOf(sessions, edm.got.ids).sort(), ['EDM Anthem', 'Festival edit']);
      const accented = await listBoth(server, sessions, [['tags', 'édm']]);
      assert.deepEqual(accented.got, { ids: [], total: 0, limit: 50, offset: 0 });
    });

    it('clamps a limit above 500 to 500, and meta.limit says so', async () => {
      for (const limit of ['501', '100000000000000000000']) {
        const { got, expected } = await listBoth(server, sessions, [['limit', limit], ['offset', '3']]);
        assert.deepEqual(got, expected);
        assert.deepEqual({ limit: got.limit, offset: got.offset, total: got.total, count: got.ids.length }, { limit: 500, offset: 3, total: sessions.length, count: sessions.length - 3 });
      }
    });

    it('ignores an unknown query parameter', async () => {
      const plain = pageOf(await server.api('GET', '/sessions?limit=4'));
      const withUnknown = pageOf(await server.api('GET', '/sessions?colour=red&limit=4&sortBy=title'));
      assert.deepEqual(withUnknown, plain);
      assert.equal(plain.ids.length, 4);
    });
  });

  describe('after edits', () => {
    let server: TestServer;

    afterEach(async () => {
      await server?.dispose();
    });

    it('q, kind, tags and sort=title follow PATCH and PUT /tags; a deleted session is gone from every list', async () => {
      // Given sessions that are then edited, and one that is deleted
      server = await startTestServer();
      const sessions = await seedCatalogue(server, [
        { title: 'Old Title', kind: 'Reaper', client: 'Old Client', notes: 'old notes', tags: ['oldtag'], patch: { title: 'Zèbre', kind: 'Ableton', client: 'Nova', notes: 'fresh' }, retag: ['newtag'] },
        { title: 'Middle', kind: 'Reaper', tags: ['oldtag'] },
        { title: 'Quiet', kind: 'Reaper', patch: { title: 'Loud' } },
        { title: 'Gone', kind: 'Ableton', tags: ['newtag'], notes: 'fresh', deleted: true },
      ]);
      const [edited, middle, retitled] = sessions;
      assert.deepEqual(
        sessions.map((session) => session.title),
        ['Zèbre', 'Middle', 'Loud'],
      );
      // When searching for the old and the new values, then only the new ones find the edited sessions
      const expectations: Array<[Pairs, string[]]> = [
        [[['q', 'old']], [middle.id]],
        [[['q', 'quiet']], []],
        [[['q', 'loud']], [retitled.id]],
        [[['q', 'zebre nova fresh newtag']], [edited.id]],
        [[['q', 'fresh']], [edited.id]],
        [[['kind', 'reaper'], ['sort', 'title']], [retitled.id, middle.id]],
        [[['kind', 'ableton']], [edited.id]],
        [[['tags', 'oldtag']], [middle.id]],
        [[['tags', 'newtag']], [edited.id]],
        [[['sort', 'title']], [retitled.id, middle.id, edited.id]],
        [[['sort', 'kind'], ['order', 'desc']], [middle.id, retitled.id, edited.id]],
      ];
      for (const [pairs, ids] of expectations) {
        const { got, expected } = await listBoth(server, sessions, pairs);
        assert.deepEqual(got, expected, `GET ${pathOf(pairs)}`);
        assert.deepEqual(got.ids, ids, `GET ${pathOf(pairs)}`);
      }
      const { got: all, expected: allExpected } = await listBoth(server, sessions, []);
      assert.deepEqual(all, allExpected);
      assert.deepEqual([...all.ids].sort(), [edited.id, middle.id, retitled.id].sort());
    });
  });

  describe('malformed queries', () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer();
    });

    after(async () => {
      await server?.dispose();
    });

    const cases: Array<[query: string, names: string[]]> = [
      ['kind=A&daw=B', ['kind', 'daw']],
      ['recent=maybe', ['recent']],
      ['recent=on', ['recent']],
      ['sort=colour', ['sort']],
      ['order=up', ['order']],
      ['limit=abc', ['limit']],
      ['limit=0', ['limit']],
      ['limit=1.5', ['limit']],
      ['offset=-1', ['offset']],
      ['offset=abc', ['offset']],
      ['sort=title&sort=kind', ['sort']],
    ];
    for (const [query, names] of cases) {
      it(`${query}: 400 invalid_query naming ${names.join(' and ')}`, async () => {
        const response = await server.api('GET', `/sessions?${query}`);
        assertError(response, 400, 'invalid_query');
        for (const name of names) assert.match(response.body.error.message, new RegExp(`\\b${name}\\b`));
      });
    }
  });

  describe('ties and stable pages', () => {
    let server: TestServer;
    let sessions: SeededSession[];
    const sameTitles = ['Same', 'same', 'SÁME', 'Såme', '  Same  '];
    const midTitles = ['Mid', 'mid'];

    before(async () => {
      server = await startTestServer();
      const now = Date.now();
      const at = (days: number) => new Date(now - days * DAY_MS).toISOString();
      // In parallel: equal createdAt/updatedAt happen, ids are whatever order the server took them in.
      const seeds: SessionSeed[] = [
        { title: 'Zulu', status: 'review', kind: 'Reaper', openedAt: at(3) },
        ...sameTitles.map((title, index) => ({ title, status: 'draft', kind: index % 2 ? 'Ableton' : 'ableton', openedAt: index < 3 ? at(3) : null })),
        { title: 'Alpha', status: 'draft', kind: 'Ébène', openedAt: null },
        ...midTitles.map((title) => ({ title, status: 'final', kind: 'ebene', openedAt: at(1) })),
        { title: 'Omega', status: 'review', kind: 'Logic Pro', openedAt: at(2) },
        { title: 'Beta', status: 'final', kind: 'Reaper', openedAt: null },
      ];
      sessions = await seedCatalogue(server, seeds, { parallel: true });
    });

    after(async () => {
      await server?.dispose();
    });

    const idsTitled = (titles: string[]) =>
      sessions
        .filter((session) => titles.map((title) => title.trim()).includes(session.title))
        .map((session) => session.id)
        .sort();
    const idOf = (title: string) => sessions.find((session) => session.title === title)!.id;

    it('sort=title: equal folded titles by id ascending, in asc and in desc', async () => {
      const same = idsTitled(sameTitles);
      const mid = idsTitled(midTitles);
      assert.equal(same.length, 5);
      const asc = pageOf(await server.api('GET', '/sessions?sort=title'));
      assert.deepEqual(asc.ids, [idOf('Alpha'), idOf('Beta'), ...mid, idOf('Omega'), ...same, idOf('Zulu')]);
      const desc = pageOf(await server.api('GET', '/sessions?sort=title&order=desc'));
      assert.deepEqual(desc.ids, [idOf('Zulu'), ...same, idOf('Omega'), ...mid, idOf('Beta'), idOf('Alpha')]);
    });

    const orders: Array<[Sort | undefined, Order | undefined]> = [];
    for (const sort of [undefined, ...SORTS]) for (const order of [undefined, 'asc', 'desc'] as const) orders.push([sort, order]);

    for (const [sort, order] of orders) {
      const pairs: Pairs = [...(sort ? [['sort', sort] as [string, string]] : []), ...(order ? [['order', order] as [string, string]] : [])];
      it(`${pathOf(pairs)}: pages of 3 visit every session once, in the order of one big page, the reference's`, async () => {
        // Given one big page, which is the reference's
        const { got: whole, expected } = await listBoth(server, sessions, [...pairs, ['limit', '500']]);
        assert.deepEqual(whole, expected);
        // When paging through it three at a time
        const visited: string[] = [];
        for (let offset = 0; offset <= sessions.length; offset += 3) {
          const page = pageOf(await server.api('GET', pathOf([...pairs, ['limit', '3'], ['offset', String(offset)]])));
          assert.deepEqual({ total: page.total, limit: page.limit, offset: page.offset }, { total: sessions.length, limit: 3, offset });
          assert.ok(page.ids.length <= 3);
          visited.push(...page.ids);
        }
        // Then every session is visited exactly once, in the same order
        assert.deepEqual(visited, whole.ids);
        assert.deepEqual([...visited].sort(), sessions.map((session) => session.id).sort());
      });
    }

    it('a narrow filter over a large catalogue (few matches, sorted rather than walked) keeps the same ties', async () => {
      // Given 40 more sessions that no tag filter matches, and two "rare" ones tied on every key
      const opened = new Date(Date.now() - DAY_MS).toISOString();
      const more = await seedCatalogue(
        server,
        [
          ...Array.from({ length: 40 }, (_, index) => ({ title: `Filler ${index}` })),
          { title: 'Rare', tags: ['rare'], openedAt: opened },
          { title: 'RÂRE', tags: ['Rare'], openedAt: opened },
          { title: 'rare', tags: ['RARE'] },
        ],
        { parallel: true },
      );
      const all = [...sessions, ...more];
      const rare = more.filter((session) => session.tags.length > 0);
      for (const sort of [undefined, ...SORTS]) {
        for (const order of [undefined, 'asc', 'desc'] as const) {
          const pairs: Pairs = [['tags', 'rare'], ...(sort ? [['sort', sort] as [string, string]] : []), ...(order ? [['order', order] as [string, string]] : [])];
          const { got, expected } = await listBoth(server, all, pairs);
          assert.deepEqual(got, expected, pathOf(pairs));
          assert.deepEqual([...got.ids].sort(), rare.map((session) => session.id).sort());
        }
      }
    });
  });

  describe('any catalogue, any valid query: the page is the reference page (property)', () => {
    const LETTERS = ['a', 'á', 'A', 'Á', 'e', 'é', 'E', 'É', 'e\u0301', 'b', 'B'];
    const TAGS = ['mix', 'Mix', 'MIX', 'priority', 'Priority', 'edm', 'EDM', 'café', 'Cafe', 'vocals'];
    const KINDS = ['Ableton', 'ableton', 'ABLETON', 'Logic Pro', 'Reaper', 'Ébène', 'ebene'];
    const STATUSES = ['draft', 'review', 'final', 'in-progress'];
    const FILLERS = 40;

    const text = (minLength: number, maxLength: number) => fc.array(fc.constantFrom(...LETTERS, ' '), { minLength, maxLength }).map((chars) => chars.join(''));
    const tagList = fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 4 });
    /** Days from the run's start; whole days make ties, ±5 minutes around the 30-day cut-off test its edge. */
    const openedOffset = fc.oneof(
      { arbitrary: fc.constant(null), weight: 1 },
      { arbitrary: fc.integer({ min: -60, max: 60 }).map((days) => days * DAY_MS), weight: 3 },
      { arbitrary: fc.constantFrom(-RECENT_DAYS * DAY_MS + 300_000, -RECENT_DAYS * DAY_MS - 300_000), weight: 1 },
    );
    const sessionArb = fc.record({
      title: fc.tuple(fc.constantFrom(...LETTERS), text(0, 4)).map(([first, rest]) => first + rest),
      client: fc.option(text(0, 4), { nil: null }),
      notes: text(0, 6),
      kind: fc.constantFrom(...KINDS),
      status: fc.constantFrom(...STATUSES),
      tags: tagList,
      opened: openedOffset,
      patch: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 2 },
        {
          arbitrary: fc.record(
            { title: fc.constantFrom('a', 'É', 'b e\u0301'), kind: fc.constantFrom(...KINDS), status: fc.constantFrom(...STATUSES), client: fc.option(text(0, 4), { nil: null }), notes: text(0, 6) },
            { requiredKeys: [] },
          ).filter((patch) => Object.keys(patch).length > 0),
          weight: 1,
        },
      ),
      retag: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: tagList, weight: 1 }),
      deleted: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
    });
    const catalogueArb = fc.record({ sessions: fc.array(sessionArb, { maxLength: 25, size: 'max' }), fillers: fc.boolean() });

    /*
     * Each filter is left out more often than not, offsets are mostly small: most pages then hold
     * several sessions (an all-empty run would prove little), and totals often exceed the limit.
     */
    const sometimes = (pairs: fc.Arbitrary<Pairs>, absentWeight = 3, presentWeight = 2): fc.Arbitrary<Pairs> =>
      fc.oneof({ arbitrary: fc.constant<Pairs>([]), weight: absentWeight }, { arbitrary: pairs, weight: presentWeight });
    const param = (name: string, values: fc.Arbitrary<string>): fc.Arbitrary<Pairs> => values.map((value): Pairs => [[name, value]]);
    const caseOf = fc.constantFrom(
      (value: string) => value,
      (value: string) => value.toLowerCase(),
      (value: string) => value.toUpperCase(),
    );
    const term = fc.array(fc.constantFrom(...LETTERS), { minLength: 1, maxLength: 2 }).map((chars) => chars.join(''));
    const qPairs = sometimes(
      fc.tuple(fc.array(term, { maxLength: 2 }), fc.constantFrom(' ', '  '), fc.boolean()).map(([terms, separator, padded]): Pairs => [
        ['q', `${padded ? ' ' : ''}${terms.join(separator)}${padded ? ' ' : ''}`],
      ]),
      1,
      1,
    );
    const kindPairs = sometimes(
      fc.tuple(fc.constantFrom('kind', 'daw', 'both'), fc.constantFrom(...KINDS, 'Bitwig'), caseOf, caseOf).map(([which, kind, first, second]): Pairs => {
        if (which === 'both') return [['kind', first(kind)], ['daw', second(kind)]];
        return [[which, first(kind)]];
      }),
    );
    const tagPairs = sometimes(
      fc
        .tuple(fc.array(fc.constantFrom(...TAGS, 'CAFÉ', 'unknown'), { minLength: 1, maxLength: 3 }), fc.constantFrom('joined', 'repeated', 'mixed'))
        .map(([tags, layout]): Pairs => {
          if (layout === 'joined') return [['tags', tags.join(',')]];
          if (layout === 'repeated') return tags.map((tag): [string, string] => ['tags', tag]);
          return [['tags', tags.slice(0, 2).join(',')], ...tags.slice(2).map((tag): [string, string] => ['tags', tag])];
        }),
    );
    const queryArb: fc.Arbitrary<Pairs> = fc
      .tuple(
        qPairs,
        kindPairs,
        tagPairs,
        sometimes(param('recent', fc.constantFrom('true', 'false'))),
        sometimes(param('sort', fc.constantFrom(...SORTS)), 1, 3),
        sometimes(param('order', fc.constantFrom('asc', 'desc')), 1, 2),
        sometimes(param('limit', fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 30 })).map(String)), 1, 3),
        sometimes(param('offset', fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 30 })).map(String)), 1, 1),
      )
      .map((parts) => parts.flat());

    const live = new Set<TestServer>();
    afterEach(async () => {
      await Promise.all([...live].map((server) => server.dispose()));
      live.clear();
    });

    it('matches the reference on random catalogues and queries', async function () {
      this.timeout(300_000);
      await fc.assert(
        fc.asyncProperty(catalogueArb, fc.array(queryArb, { minLength: 1, maxLength: 5 }), async (catalogue, queries) => {
          // Given a fresh server holding this run's catalogue only
          const server = await startTestServer();
          live.add(server);
          try {
            const start = Date.now();
            const seeds: SessionSeed[] = catalogue.sessions.map(({ opened, ...session }) => ({
              ...session,
              openedAt: opened === null ? null : new Date(start + opened).toISOString(),
            }));
            if (catalogue.fillers) for (let index = 0; index < FILLERS; index += 1) seeds.push({ title: 'zzz', kind: 'Filler' });
            const sessions = await seedCatalogue(server, seeds, { parallel: true });
            // When listing each query, then the server's page is the reference's
            for (const pairs of queries) {
              const { got, expected } = await listBoth(server, sessions, pairs);
              assert.deepEqual(got, expected, `GET ${pathOf(pairs)}`);
            }
          } finally {
            live.delete(server);
            await server.dispose();
          }
        }),
        { numRuns: 40 },
      );
    });
  });
});
