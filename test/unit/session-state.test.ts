import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { decideCreateSession, newSessionData, normaliseTags } from '../../src/commands/create-session';
import { evolveSession, type SessionState } from '../../projections/session-state';
import { compareDefaultOrder, SessionsProjection } from '../../projections/sessions';
import { detectKind } from '../../src/kind';

const at = '2026-11-29T10:00:00.000Z';
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
      createdAt: at,
      updatedAt: at,
      version: 1,
    });
  });

  it('given a session, when an event of another kind arrives, then the session is unchanged', () => {
    const session = evolveSession(undefined, stored('session_A', 1, 'SessionCreated', newSessionData({ title: 'Idea' })));
    assert.equal(evolveSession(session, stored('session_A', 2, 'SomethingElse', {})), session);
  });
});

describe('sessions read model', () => {
  const base: SessionState = {
    id: 'session_B',
    title: 't',
    kind: 'Other',
    status: 'draft',
    accent: 'default',
    tags: [],
    notes: '',
    client: null,
    projectPath: null,
    projectOriginalPath: null,
    lastOpened: null,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };

  it('orders opened sessions first (newest first), then by updatedAt newest first, then by id', () => {
    const sessions: SessionState[] = [
      { ...base, id: 'session_1', updatedAt: '2026-01-01T00:00:00.000Z' },
      { ...base, id: 'session_2', lastOpened: '2026-02-01T00:00:00.000Z' },
      { ...base, id: 'session_3', updatedAt: '2026-03-01T00:00:00.000Z' },
      { ...base, id: 'session_4', lastOpened: '2026-03-01T00:00:00.000Z' },
      { ...base, id: 'session_0', updatedAt: '2026-01-01T00:00:00.000Z' },
    ];
    assert.deepEqual(
      [...sessions].sort(compareDefaultOrder).map((session) => session.id),
      ['session_4', 'session_2', 'session_3', 'session_0', 'session_1'],
    );
  });

  it('folds only session streams and pages the default order', () => {
    const model = new SessionsProjection();
    model.apply(stored('session_A', 1, 'SessionCreated', newSessionData({ title: 'A' }), 1));
    model.apply(stored('import_Z', 1, 'SessionCreated', newSessionData({ title: 'not a session stream' }), 2));
    model.apply(stored('session_B', 1, 'SessionCreated', newSessionData({ title: 'B' }), 3));
    assert.equal(model.count(), 2);
    assert.equal(model.get('import_Z'), undefined);
    const page = model.list(1, 1);
    assert.equal(page.total, 2);
    assert.deepEqual(page.items.map((session) => session.id), ['session_B']);
  });
});
