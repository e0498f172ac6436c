import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { decideCreateSession, newSessionData } from '../../src/commands/create-session';
import { normaliseTags } from '../../src/commands/normalise';
import { evolveSession } from '../../projections/session-state';
import { SessionsProjection, type SessionQuery } from '../../projections/sessions';
import { detectKind } from '../../src/kind';

const at = '2026-11-29T10:00:00.250Z';
/** `at` as the read model holds and shows it: whole seconds (issue 18). */
const shownAt = '2026-11-29T10:00:00Z';
const meta = { at, requestId: 'r1', actor: 'token:abc' };

function stored(streamId: string, version: number, type: string, data: object, position = version): StoredEvent {
  return { position, streamId, version, type, schemaVersion: 1, data: data as Record<string, unknown>, meta, hash: 'h' };
}

describe('create session: decide', () => {
  it('given a body with only a title, when decided, then one SessionCreated with the contract defaults', () => {
    const events = decideCreateSession({ sessionId: 'session_X', body: { title: 'Idea' } });
    assert.deepEqual(events, [
      {
        type: 'SessionCreated',
        data: { title: 'Idea', kind: 'Other', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath: null },
      },
    ]);
  });

  it('given an explicit kind and a project path, then the explicit kind wins over detection', () => {
    const data = newSessionData({ title: 'x', kind: ' Custom DAW ', projectPath: '/a/b.als' });
    assert.equal(data.kind, 'Custom DAW');
    assert.equal(newSessionData({ title: 'x', projectPath: '/a/b.als' }).kind, 'Ableton');
  });

  it('trims tags and drops case-insensitive duplicates, keeping the first spelling', () => {
    assert.deepEqual(normaliseTags([' Lo-Fi', 'lo-fi ', 'LO-FI', 'Keys', ' keys']), ['Lo-Fi', 'Keys']);
  });
});

describe('kind detection by extension', () => {
  const cases: Array<[string | null, string]> = [
    ['/p/song.als', 'Ableton'],
    ['/p/Song.LOGICX', 'Logic Pro'],
    ['/p/Song.logicx/', 'Logic Pro'],
    ['C:\\p\\beat.flp', 'FL Studio'],
    ['/p/a.cpr', 'Cubase'],
    ['/p/a.npr', 'Nuendo'],
    ['/p/a.rpp', 'Reaper'],
    ['/p/a.bwproject', 'Bitwig Studio'],
    ['/p/a.song', 'Studio One'],
    ['/p/a.ptx', 'Pro Tools'],
    ['/p/a.band', 'GarageBand'],
    ['/p/a.reason', 'Reason'],
    ['/p/.als', 'Other'],
    ['/p/folder', 'Other'],
    ['/p.als/notes.txt', 'Other'],
    [null, 'Other'],
  ];
  for (const [path, kind] of cases) {
    it(`${path} → ${kind}`, () => assert.equal(detectKind(path), kind));
  }
});

describe('session fold: evolve', () => {
  it('given no session, when SessionCreated, then the session with its original path, timestamps and version 1', () => {
    const data = newSessionData({ title: 'Idea', projectPath: '/p/idea.als' });
    const session = evolveSession(undefined, stored('session_A', 1, 'SessionCreated', data));
    assert.deepEqual(session, {
      id: 'session_A',
      ...data,
      projectOriginalPath: '/p/idea.als',
      lastOpened: null,
      preferredPreviewId: null,
      previews: [],
      createdAt: shownAt,
      updatedAt: shownAt,
      version: 1,
    });
  });

  it('given a session, when an event another read model folds arrives, then only the version follows the stream', () => {
    const session = evolveSession(undefined, stored('session_A', 1, 'SessionCreated', newSessionData({ title: 'Idea' })));
    assert.deepEqual(evolveSession(session, stored('session_A', 2, 'SomethingElse', {})), { ...session, version: 2 });
  });

  it('given a session, when SessionUpdated sets a path, then the first path ever recorded is kept as the original', () => {
    const created = evolveSession(undefined, stored('session_A', 1, 'SessionCreated', newSessionData({ title: 'Idea' })));
    const later = { ...meta, at: '2026-11-29T11:00:00.999Z' };
    const moved = evolveSession(created, { ...stored('session_A', 2, 'SessionUpdated', { projectPath: '/a/idea.als' }), meta: later });
    const movedAgain = evolveSession(moved, stored('session_A', 3, 'SessionUpdated', { projectPath: '/b/idea.als', title: 'Idea 2' }));
    const cleared = evolveSession(movedAgain, stored('session_A', 4, 'SessionUpdated', { projectPath: null }));
    assert.equal(moved?.projectOriginalPath, '/a/idea.als');
    assert.equal(moved?.updatedAt, '2026-11-29T11:00:00Z');
    assert.deepEqual([movedAgain?.projectPath, movedAgain?.projectOriginalPath, movedAgain?.title], ['/b/idea.als', '/a/idea.als', 'Idea 2']);
    assert.deepEqual([cleared?.projectPath, cleared?.projectOriginalPath, cleared?.version], [null, '/a/idea.als', 4]);
  });

  it('given a session, when notes, tags, an opening and a deletion arrive, then each changes only its part', () => {
    const created = evolveSession(undefined, stored('session_A', 1, 'SessionCreated', newSessionData({ title: 'Idea', notes: 'n' })))!;
    const opened = evolveSession(created, { ...stored('session_A', 2, 'SessionOpened', {}), meta: { ...meta, at: '2026-11-30T00:00:00.001Z' } })!;
    assert.deepEqual(opened, { ...created, lastOpened: '2026-11-30T00:00:00Z', version: 2 });
    const noted = evolveSession(opened, stored('session_A', 3, 'SessionNotesReplaced', { notes: 'new' }))!;
    assert.deepEqual([noted.notes, noted.tags, noted.version], ['new', [], 3]);
    const tagged = evolveSession(noted, stored('session_A', 4, 'SessionTagsReplaced', { tags: ['a'] }))!;
    assert.deepEqual([tagged.notes, tagged.tags, tagged.version], ['new', ['a'], 4]);
    assert.equal(evolveSession(tagged, stored('session_A', 5, 'SessionDeleted', {})), undefined);
    assert.equal(evolveSession(undefined, stored('session_B', 2, 'SessionUpdated', { title: 'x' })), undefined);
  });
});

const everything = (page: Pick<SessionQuery, 'limit' | 'offset'>): SessionQuery => ({
  terms: [],
  kind: null,
  tags: [],
  openedSince: null,
  sort: null,
  order: null,
  ...page,
});

describe('sessions read model', () => {
  it('folds only session streams and pages the default order', () => {
    const model = new SessionsProjection();
    model.apply(stored('session_A', 1, 'SessionCreated', newSessionData({ title: 'A' }), 1));
    model.apply(stored('import_Z', 1, 'SessionCreated', newSessionData({ title: 'not a session stream' }), 2));
    model.apply(stored('session_B', 1, 'SessionCreated', newSessionData({ title: 'B' }), 3));
    assert.equal(model.count(), 2);
    assert.equal(model.get('import_Z'), undefined);
    const page = model.list(everything({ limit: 1, offset: 1 }));
    assert.equal(page.total, 2);
    assert.deepEqual(page.items.map((session) => session.id), ['session_B']);
  });
});
