import assert from 'node:assert/strict';
import { newSessionData } from '../../src/commands/create-session';
import { assertError } from '../helpers/assertions';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';

/*
 * Issue 18 items 3 and 5: what form-based and scripting clients send for a field (a Raycast form's
 * empty text fields, a status picked from a display list), accepted as the canonical value, which
 * the log stores and every response returns; and a tag with a comma, refused on every write.
 */

type Json = Record<string, any>;

const SLUG_MESSAGE = 'must be a slug of 1-32 letters, digits and single dashes (a space or an underscore counts as a dash)';
const NOT_EMPTY_MESSAGE = 'cannot be empty: leave it out to keep the current value';
const COMMA_MESSAGE = 'cannot contain a comma: the tags filter splits on commas';

describe('fidelity: form values and tags with commas (issue 18 items 3 and 5, contract §5.1)', () => {
  let server: TestServer;

  const head = () => server.server.store.head().position;
  const eventsAfter = async (position: number) => (await readAllEvents(server)).filter((event) => event.position > position);
  const create = async (body: Json) => {
    const before = head();
    const response = await server.api('POST', '/sessions', { json: body });
    assert.equal(response.status, 201, response.text);
    const [event] = await eventsAfter(before);
    return { session: response.body.data as Json, event };
  };
  const patch = (id: string, body: Json) => server.api('PATCH', `/sessions/${id}`, { json: body });

  before(async () => {
    server = await startTestServer();
  });

  after(async () => {
    await server?.dispose();
  });

  describe('empty form fields', () => {
    it('a Raycast-style create with every optional field empty: defaults apply, client and projectPath are null, notes ""', async () => {
      const { session, event } = await create({ title: 'Beat 12', kind: '', status: '', accent: '', client: '', projectPath: '', notes: null, tags: [] });

      const expected = { title: 'Beat 12', kind: 'Other', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath: null };
      assert.deepEqual(Object.fromEntries(Object.keys(expected).map((key) => [key, session[key]])), expected);
      assert.deepEqual(event.data, expected, 'the log holds the canonical values');
    });

    it('an empty kind with a project path: the kind is detected from it, as if not given', async () => {
      const { session } = await create({ title: 'Detected', kind: '', projectPath: '/Music/Detected.als', client: '   ' });

      assert.equal(session.kind, 'Ableton');
      assert.equal(session.client, null, 'a client of only spaces is empty too');
    });

    it('PATCH with an empty client or projectPath clears it (null)', async () => {
      const { session } = await create({ title: 'Clear me', client: 'Label', projectPath: '/Music/a.als' });

      const response = await patch(session.id, { client: '', projectPath: '' });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.data.client, null);
      assert.equal(response.body.data.projectPath, null);
      assert.equal(response.body.data.projectOriginalPath, '/Music/a.als');
    });

    for (const field of ['kind', 'status', 'accent']) {
      it(`PATCH with an empty ${field} is refused: 400 "${field} ${NOT_EMPTY_MESSAGE}."`, async () => {
        const { session } = await create({ title: `Empty ${field}` });
        const before = head();

        for (const empty of ['', '  ']) {
          const response = await patch(session.id, { [field]: empty });

          assertError(response, 400, 'invalid_request', `${field} ${NOT_EMPTY_MESSAGE}.`);
          assert.deepEqual(response.body.error.details, [{ field: `/${field}`, message: NOT_EMPTY_MESSAGE }]);
        }
        assert.equal(head(), before);
      });
    }
  });

  describe('status and accent as a person writes them', () => {
    it('"In Progress", "in_progress", "IN-PROGRESS" are stored and returned as in-progress', async () => {
      for (const status of ['In Progress', 'in_progress', 'IN-PROGRESS', '  In progress ']) {
        const { session, event } = await create({ title: `Status ${status}`, status });

        assert.equal(session.status, 'in-progress', status);
        assert.equal(event.data.status, 'in-progress', `the log holds the canonical slug for ${status}`);
      }
    });

    it('PATCH "In Review" → in-review; PATCH to the same status in another spelling writes nothing', async () => {
      const { session } = await create({ title: 'Review me' });
      const changed = await patch(session.id, { status: 'In Review', accent: 'Deep Blue' });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual([changed.body.data.status, changed.body.data.accent], ['in-review', 'deep-blue']);
      const before = head();

      const same = await patch(session.id, { status: 'IN_REVIEW' });

      assert.equal(same.status, 200, same.text);
      assert.equal(same.body.data.version, changed.body.data.version);
      assert.equal(head(), before);
    });

    it('an accent colour is kept as sent', async () => {
      const { session } = await create({ title: 'Coloured', accent: '#FFaa00' });

      assert.equal(session.accent, '#FFaa00');
    });

    it('the list filters and sorts by the canonical status', async () => {
      const { session } = await create({ title: 'Findable', status: 'Final Mix', kind: 'REAPER' });

      const found = await server.api('GET', '/sessions?kind=reaper&sort=status');

      assert.ok(found.body.data.some((each: Json) => each.id === session.id && each.status === 'final-mix' && each.kind === 'Reaper'), found.text);
    });

    it(`a status that is no slug in any spelling: 400 "status ${SLUG_MESSAGE}."`, async () => {
      for (const status of ['in--progress', 'In  Progress', '-draft', 'draft_', 'Über', 'x'.repeat(33), 'done!']) {
        const response = await server.api('POST', '/sessions', { json: { title: 't', status } });

        assertError(response, 400, 'invalid_request', `status ${SLUG_MESSAGE}.`);
        assert.deepEqual(response.body.error.details, [{ field: '/status', message: SLUG_MESSAGE }], status);
      }
    });

    it('an accent that is neither: 400 naming both forms', async () => {
      for (const accent of ['Red!', '#12345', '#gggggg']) {
        const response = await patch((await create({ title: `Accent ${accent}` })).session.id, { accent });

        assertError(response, 400, 'invalid_request', `accent ${SLUG_MESSAGE} or a #rrggbb colour.`);
      }
    });
  });

  describe('kind', () => {
    it('a known DAW in any case is stored with its canonical spelling; another kind as sent, trimmed', async () => {
      const cases = [
        ['ableton', 'Ableton'],
        ['LOGIC PRO', 'Logic Pro'],
        ['fl  studio', 'FL Studio'],
        ['  bitwig studio ', 'Bitwig Studio'],
        ['other', 'Other'],
        ['  my Tracker ', 'my Tracker'],
      ];
      for (const [sent, stored] of cases) {
        const { session, event } = await create({ title: `Kind ${sent}`, kind: sent });
        assert.equal(session.kind, stored, sent);
        assert.equal(event.data.kind, stored, `the log holds ${stored}`);
      }
      const { session } = await create({ title: 'Patched kind' });
      const patched = await patch(session.id, { kind: 'cubase' });
      assert.equal(patched.body.data.kind, 'Cubase');
    });

    it('a kind over 64 characters: 400 with the length rule', async () => {
      const response = await server.api('POST', '/sessions', { json: { title: 't', kind: 'k'.repeat(65) } });

      assertError(response, 400, 'invalid_request', 'kind must be at most 64 characters, not counting white space at either end.');
    });

    it('a kind or status padded with most of a megabyte of spaces is answered at once (no backtracking blow-up)', async () => {
      const padding = ' '.repeat(400_000);
      for (const body of [{ kind: `${padding}${'k'.repeat(70)}${padding}` }, { status: `${padding}${'s'.repeat(40)}${padding}` }, { status: `${padding}in progress${padding}` }]) {
        const started = Date.now();
        const response = await server.api('POST', '/sessions', { json: { title: 'Padded', ...body } });
        const took = Date.now() - started;

        assert.ok([201, 400].includes(response.status), response.text.slice(0, 200));
        assert.ok(took < 3_000, `answered in ${took} ms`);
      }
    });
  });

  describe('projectPath', () => {
    it('a relative path: 400 saying an absolute path, "" or null', async () => {
      const response = await server.api('POST', '/sessions', { json: { title: 't', projectPath: 'Music/a.als' } });

      assertError(response, 400, 'invalid_request', 'projectPath must be an absolute path (or "" or null for none) and at most 4096 characters long.');
    });
  });

  describe('a tag with a comma (the tags filter splits on commas)', () => {
    const commaTag = 'rock, pop';
    const refusedOn: Array<[string, string, (id: string) => string, Json]> = [
      ['POST /sessions', 'POST', () => '/sessions', { title: 'Tagged', tags: ['ok', commaTag] }],
      ['PATCH /sessions/{id}', 'PATCH', (id) => `/sessions/${id}`, { tags: ['ok', commaTag] }],
      ['PUT /sessions/{id}/tags', 'PUT', (id) => `/sessions/${id}/tags`, { tags: ['ok', commaTag] }],
      ['PATCH /sessions/{id}/tags', 'PATCH', (id) => `/sessions/${id}/tags`, { tags: ['ok', commaTag] }],
    ];

    for (const [route, method, path, body] of refusedOn) {
      it(`${route}: 400 "tags[1] ${COMMA_MESSAGE}.", nothing written`, async () => {
        const { session } = await create({ title: `Comma ${route}` });
        const before = head();

        const response = await server.api(method, path(session.id), { json: body });

        assertError(response, 400, 'invalid_request', `tags[1] ${COMMA_MESSAGE}.`);
        assert.deepEqual(response.body.error.details[0], { field: '/tags/1', message: COMMA_MESSAGE });
        assert.equal(head(), before);
      });
    }

    it('a tag stored with a comma before the rule (an old log) still loads and is returned', async () => {
      const id = 'session_01ARZ3NDEKTSV4RRFFQ69G5FAW';
      await server.server.store.append(id, 0, [{ type: 'SessionCreated', data: { ...newSessionData({ title: 'Old comma tag' }), tags: ['rock, pop', 'live'] } }], {
        at: new Date().toISOString(),
        requestId: 'test',
        actor: 'test',
      });
      await server.server.projections.waitFor(head());

      const session = await server.api('GET', `/sessions/${id}`);
      const tags = await server.api('GET', `/sessions/${id}/tags`);

      assert.equal(session.status, 200, session.text);
      assert.deepEqual(session.body.data.tags, ['rock, pop', 'live']);
      assert.deepEqual(tags.body.data, { id, tags: ['rock, pop', 'live'] });
    });
  });
});
