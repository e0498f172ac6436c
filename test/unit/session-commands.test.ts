import assert from 'node:assert/strict';
import type { SessionState } from '../../projections/session-state';
import { decideDeleteSession } from '../../src/commands/delete-session';
import { decideReplaceNotes } from '../../src/commands/replace-notes';
import { decideReplaceTags } from '../../src/commands/replace-tags';
import { decideUpdateSession } from '../../src/commands/update-session';

const session: SessionState = {
  id: 'session_A',
  title: 'Night drive',
  kind: 'Ableton',
  status: 'draft',
  accent: 'default',
  tags: ['Mix', 'vocals'],
  notes: 'bridge',
  client: 'Ana',
  projectPath: '/p/night.als',
  projectOriginalPath: '/p/night.als',
  lastOpened: null,
  preferredPreviewId: null,
  previews: [],
  createdAt: '2026-11-29T10:00:00.000Z',
  updatedAt: '2026-11-29T10:00:00.000Z',
  version: 3,
};

describe('session commands: decide', () => {
  it('given a session, when patched, then one SessionUpdated carrying only the fields that change', () => {
    const events = decideUpdateSession(session, { title: '  Night drive ', status: 'review', tags: ['mix', 'Mix', ' vocals'], client: 'Bo' });
    assert.deepEqual(events, [{ type: 'SessionUpdated', data: { status: 'review', tags: ['mix', 'vocals'], client: 'Bo' } }]);
  });

  it('given a session, when patched with null, then notes become "", tags [], and nullable fields null', () => {
    const [event] = decideUpdateSession(session, { notes: null, tags: null, client: null, projectPath: null });
    assert.deepEqual(event.data, { notes: '', tags: [], client: null, projectPath: null });
  });

  it('given a session, when patched with what it already holds, then nothing is appended', () => {
    assert.deepEqual(decideUpdateSession(session, { title: 'Night drive ', tags: ['Mix', 'vocals', 'MIX'], client: 'Ana' }), []);
  });

  it('replaces notes, clearing on null, and appends nothing for the same notes', () => {
    assert.deepEqual(decideReplaceNotes(session, { notes: 'new' }), [{ type: 'SessionNotesReplaced', data: { notes: 'new' } }]);
    assert.deepEqual(decideReplaceNotes(session, { notes: null }), [{ type: 'SessionNotesReplaced', data: { notes: '' } }]);
    assert.deepEqual(decideReplaceNotes(session, { notes: 'bridge' }), []);
  });

  it('replaces tags normalised, and appends nothing when the normalised list is the same', () => {
    assert.deepEqual(decideReplaceTags(session, { tags: [' Keys ', 'keys'] }), [{ type: 'SessionTagsReplaced', data: { tags: ['Keys'] } }]);
    assert.deepEqual(decideReplaceTags(session, { tags: ['Mix', ' vocals', 'VOCALS'] }), []);
    assert.deepEqual(decideReplaceTags(session, { tags: ['vocals', 'Mix'] }), [{ type: 'SessionTagsReplaced', data: { tags: ['vocals', 'Mix'] } }]);
  });

  it('deletes with one SessionDeleted', () => {
    assert.deepEqual(decideDeleteSession(), [{ type: 'SessionDeleted', data: {} }]);
  });
});
