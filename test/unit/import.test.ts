import assert from 'node:assert/strict';
import { decodeTime } from 'ulid';
import type { StoredEvent } from '../../events/envelope';
import { ImportsProjection } from '../../projections/imports';
import { itemsOf } from '../../projections/snapshot-items';
import { SessionsProjection } from '../../projections/sessions';
import { decideImportItem } from '../../src/commands/import-item';
import { importedSessionId, newImportId } from '../../src/ids';
import { discoverAudio, folderKind, MAX_DISCOVERED_PREVIEWS } from '../../src/import/discover';
import { ItemFailure, planItem, UNUSABLE_PROJECT } from '../../src/import/plan';
import { minutesAgo, tempProjects, type ProjectTree } from '../helpers/projects';

/*
 * Import's pure parts and read models (contract §7): the derived session id of an item, the
 * events an item decides, the imports fold, the project paths the sessions model answers for,
 * and what discovery finds in a project folder.
 */

const SESSION_ID = /^session_[0-9A-HJKMNP-TV-Z]{26}$/;
const requestedAt = '2026-11-29T10:00:00.000Z';

let position = 0;
function stored(streamId: string, type: string, data: object, at = requestedAt): StoredEvent {
  position += 1;
  return { position, streamId, version: 1, type, schemaVersion: 1, data: data as Record<string, unknown>, meta: { at, requestId: 'req-1', actor: 'actor-1' }, hash: 'h' };
}

const requested = (importId: string, paths: string[], at = requestedAt) =>
  stored(importId, 'ImportRequested', { kind: null, generatePreviews: false, items: paths.map((projectPath) => ({ projectPath })) }, at);
const processed = (importId: string, index: number, outcome: string, extra: object = {}, at = requestedAt) =>
  stored(importId, 'ImportItemProcessed', { index, outcome, ...extra }, at);
const finished = (importId: string, at: string) => stored(importId, 'ImportFinished', {}, at);

describe('import: importedSessionId', () => {
  const importId = 'import_01JDQ5W3K8ZQ0V6T4M2N9B7C1D';
  const at = Date.parse(requestedAt);

  it('given an import and an index, when asked twice, then it gives the same id', () => {
    assert.equal(importedSessionId(importId, 7, at), importedSessionId(importId, 7, at));
  });

  it('given 10,000 indexes of one import and the same indexes of another, then every id is distinct', () => {
    const other = 'import_01JDQ5W3K8ZQ0V6T4M2N9B7C1E';
    const ids = new Set<string>();
    for (let index = 0; index < 10_000; index += 1) {
      ids.add(importedSessionId(importId, index, at));
      ids.add(importedSessionId(other, index, at));
    }
    assert.equal(ids.size, 20_000);
  });

  it('given any import id, index and time, then the id is session_ + 26 Crockford characters whose time part is the import time', () => {
    for (const [id, index, time] of [
      [importId, 0, at],
      [importId, 9_999, at],
      [newImportId(), 42, Date.now()],
      [newImportId(), 1, 0],
      ['import_x', 3, 2 ** 48 - 1],
    ] as const) {
      const sessionId = importedSessionId(id, index, time);
      assert.match(sessionId, SESSION_ID);
      assert.equal(decodeTime(sessionId.slice('session_'.length)), time);
    }
  });

  it('given many indexes, then every character of the random part is used (the bits are spread, not truncated)', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 2_000; index += 1) for (const char of importedSessionId(importId, index, at).slice(18)) seen.add(char);
    assert.equal(seen.size, 32);
  });
});

describe('import: decideImportItem', () => {
  it('given a plan with previews, when decided, then SessionCreated comes first, then one PreviewAttached per file in order', () => {
    const events = decideImportItem({
      title: 'Song A',
      kind: 'Ableton',
      projectPath: '/music/Song A',
      previews: [
        { path: '/music/Song A/Bounces/Song A v2.wav', mime: 'audio/wav' },
        { path: '/music/Song A/Bounces/Song A v1.aif', mime: 'audio/aiff' },
      ],
    });
    assert.deepEqual(
      events.map((event) => event.type),
      ['SessionCreated', 'PreviewAttached', 'PreviewAttached'],
    );
    assert.deepEqual(events[0].data, {
      title: 'Song A',
      kind: 'Ableton',
      status: 'draft',
      accent: 'default',
      tags: [],
      notes: '',
      client: null,
      projectPath: '/music/Song A',
    });
    assert.deepEqual(events[1].data, { variantId: 'preview_song-a-v2', name: 'Song A v2', path: '/music/Song A/Bounces/Song A v2.wav', mime: 'audio/wav' });
    assert.deepEqual(events[2].data, { variantId: 'preview_song-a-v1', name: 'Song A v1', path: '/music/Song A/Bounces/Song A v1.aif', mime: 'audio/aiff' });
  });

  it('given two files with the same name in different folders, when decided, then their variant ids are de-duplicated', () => {
    const events = decideImportItem({
      title: 'Mixes',
      kind: 'Other',
      projectPath: '/music/Mixes',
      previews: [
        { path: '/music/Mixes/mix.wav', mime: 'audio/wav' },
        { path: '/music/Mixes/Bounces/mix.wav', mime: 'audio/wav' },
        { path: '/music/Mixes/Exports/Mix.flac', mime: 'audio/flac' },
      ],
    });
    const attached = events.slice(1).map((event) => [event.data.variantId, event.data.name]);
    assert.deepEqual(attached, [
      ['preview_mix', 'mix'],
      ['preview_mix-2', 'mix'],
      ['preview_mix-3', 'Mix'],
    ]);
  });

  it('given a plan without previews, when decided, then only SessionCreated', () => {
    const events = decideImportItem({ title: 'Beat', kind: 'FL Studio', projectPath: '/music/Beat.flp', previews: [] });
    assert.deepEqual(events.map((event) => event.type), ['SessionCreated']);
    assert.equal(events[0].data.kind, 'FL Studio');
  });
});

describe('import: ImportsProjection', () => {
  const importId = 'import_01JDQ5W3K8ZQ0V6T4M2N9B7C1D';

  it('given an import, when an item outcome is applied twice (a resumed import), then it is counted once and keeps its first outcome', () => {
    const imports = new ImportsProjection();
    imports.apply(requested(importId, ['/a', '/b', '/c']));
    imports.apply(processed(importId, 0, 'created', { sessionId: 'session_A' }));
    imports.apply(processed(importId, 0, 'created', { sessionId: 'session_A' }));
    imports.apply(processed(importId, 1, 'failed', { reason: 'projectPath does not exist' }));
    imports.apply(processed(importId, 1, 'created', { sessionId: 'session_B' }));
    const record = imports.get(importId)!;
    assert.deepEqual([record.completed, record.failed, record.skipped], [1, 1, 0]);
    assert.deepEqual(imports.results(record), [
      { index: 0, projectPath: '/a', outcome: 'created', sessionId: 'session_A' },
      { index: 1, projectPath: '/b', outcome: 'failed', reason: 'projectPath does not exist' },
    ]);
  });

  it('given a running import, when summarised, then durationMs runs to now; once finished, it stops at the finish', () => {
    const imports = new ImportsProjection();
    imports.apply(requested(importId, ['/a', '/b']));
    imports.apply(processed(importId, 0, 'created', { sessionId: 'session_A' }));
    imports.apply(processed(importId, 1, 'skipped', { reason: 'a session with this projectPath already exists' }));
    const record = imports.get(importId)!;
    assert.deepEqual(imports.summary(record, new Date('2026-11-29T10:00:02.500Z')), {
      importId,
      total: 2,
      completed: 1,
      failed: 0,
      skipped: 1,
      done: false,
      durationMs: 2500,
    });
    imports.apply(finished(importId, '2026-11-29T10:00:03.000Z'));
    const done = imports.summary(record, new Date('2026-11-29T11:00:00.000Z'));
    assert.equal(done.done, true);
    assert.equal(done.durationMs, 3000);
    // A clock behind the request never gives a negative duration.
    const other = 'import_01JDQ5W3K8ZQ0V6T4M2N9B7C1E';
    imports.apply(requested(other, ['/x']));
    assert.equal(imports.summary(imports.get(other)!, new Date('2026-11-29T09:59:00.000Z')).durationMs, 0);
  });

  it('given three imports, one finished, then unfinished() lists the others oldest first and recent() lists all newest first', () => {
    const imports = new ImportsProjection();
    const [first, second, third] = ['import_1', 'import_2', 'import_3'];
    imports.apply(requested(first, ['/a']));
    imports.apply(requested(second, ['/b']));
    imports.apply(requested(third, ['/c']));
    imports.apply(processed(second, 0, 'created', { sessionId: 'session_B' }));
    imports.apply(finished(second, '2026-11-29T10:00:01.000Z'));
    assert.deepEqual(imports.unfinished().map((record) => record.importId), [first, third]);
    assert.deepEqual(imports.recent().map((record) => record.importId), [third, second, first]);
  });

  it('given events of other streams or for an unknown import, when applied, then nothing changes', () => {
    const imports = new ImportsProjection();
    imports.apply(stored('session_A', 'SessionCreated', { title: 'x' }));
    imports.apply(processed('import_unknown', 0, 'created', { sessionId: 'session_A' }));
    imports.apply(finished('import_unknown', requestedAt));
    assert.deepEqual(imports.recent(), []);
    assert.equal(imports.get('import_unknown'), undefined);
  });

  it('given a snapshot taken mid-import, when restored and the rest applied, then it equals the model that saw every event', () => {
    const events = [requested(importId, ['/a', '/b', '/c']), processed(importId, 0, 'created', { sessionId: 'session_A' }), processed(importId, 2, 'failed', { reason: 'gone' })];
    const rest = [processed(importId, 1, 'skipped', { reason: 'dup' }), finished(importId, '2026-11-29T10:00:04.000Z')];
    const whole = new ImportsProjection();
    for (const event of [...events, ...rest]) whole.apply(event);
    const before = new ImportsProjection();
    for (const event of events) before.apply(event);
    const restored = new ImportsProjection();
    restored.restore(itemsOf(JSON.parse(JSON.stringify(before.snapshot()))));
    for (const event of rest) restored.apply(event);
    assert.deepEqual(restored.snapshot(), whole.snapshot());
    // The snapshot is a copy: later outcomes do not leak into one already taken.
    const taken = before.snapshot();
    before.apply(rest[0]);
    assert.equal(taken[0].outcomes[1], null);
  });
});

describe('import: the project paths the sessions model answers for', () => {
  const created = (id: string, projectPath: string | null) => stored(id, 'SessionCreated', { title: 't', kind: 'Other', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath });
  const updated = (id: string, data: object) => stored(id, 'SessionUpdated', data);
  const deleted = (id: string) => stored(id, 'SessionDeleted', {});

  it('given a session created with a path, then the path is taken; without one, nothing is', () => {
    const paths = new SessionsProjection();
    paths.apply(created('session_A', '/music/a'));
    paths.apply(created('session_B', null));
    assert.equal(paths.hasProjectPath('/music/a'), true);
    assert.equal(paths.hasProjectPath('/music/b'), false);
  });

  it('given a session whose projectPath is updated, then the old path is free and the new one taken; other updates change nothing', () => {
    const paths = new SessionsProjection();
    paths.apply(created('session_A', '/music/a'));
    paths.apply(updated('session_A', { title: 'Renamed' }));
    assert.equal(paths.hasProjectPath('/music/a'), true);
    paths.apply(updated('session_A', { projectPath: '/music/moved' }));
    assert.deepEqual([paths.hasProjectPath('/music/a'), paths.hasProjectPath('/music/moved')], [false, true]);
    paths.apply(updated('session_A', { projectPath: null }));
    assert.equal(paths.hasProjectPath('/music/moved'), false);
    paths.apply(updated('session_A', { projectPath: '/music/again' }));
    assert.equal(paths.hasProjectPath('/music/again'), true);
  });

  it('given two sessions on one path, when one is deleted, then the path stays taken until the other goes too', () => {
    const paths = new SessionsProjection();
    paths.apply(created('session_A', '/music/shared'));
    paths.apply(created('session_B', '/music/shared'));
    paths.apply(deleted('session_A'));
    assert.equal(paths.hasProjectPath('/music/shared'), true);
    paths.apply(updated('session_B', { projectPath: '/music/elsewhere' }));
    assert.equal(paths.hasProjectPath('/music/shared'), false);
    paths.apply(deleted('session_B'));
    assert.equal(paths.hasProjectPath('/music/elsewhere'), false);
  });

  it('given a snapshot, when restored into an empty model, then it answers the same and keeps following the log', () => {
    const paths = new SessionsProjection();
    paths.apply(created('session_B', '/music/b'));
    paths.apply(created('session_A', '/music/a'));
    const restored = new SessionsProjection();
    restored.restore(itemsOf(JSON.parse(JSON.stringify(paths.snapshot()))));
    assert.deepEqual(restored.snapshot(), paths.snapshot());
    assert.deepEqual([restored.hasProjectPath('/music/a'), restored.hasProjectPath('/music/b')], [true, true]);
    restored.apply(deleted('session_A'));
    assert.deepEqual([restored.hasProjectPath('/music/a'), restored.hasProjectPath('/music/b')], [false, true]);
  });
});

describe('import: discovering audio and the kind of a project folder', () => {
  let tree: ProjectTree;

  beforeEach(() => {
    tree = tempProjects();
  });

  afterEach(() => tree.cleanup());

  it('given audio at the top, in render subfolders and elsewhere, then only the top and the render subfolders count, newest first', async () => {
    const song = tree.folder('Song A');
    tree.file('Song A/Song A.als', 'als');
    const top = tree.wav('Song A/Song A rough.wav', { mtime: minutesAgo(50) });
    const bounce = tree.wav('Song A/Bounces/Song A v2.wav', { mtime: minutesAgo(1) });
    const older = tree.wav('Song A/Bounces/Song A v1.wav', { mtime: minutesAgo(60) });
    const exported = tree.file('Song A/exports/export.flac', 'not decoded here', minutesAgo(10));
    const mixdown = tree.file('Song A/Mixdown/mix.MP3', '', minutesAgo(20));
    const render = tree.file('Song A/RENDERS/render.aiff', '', minutesAgo(30));
    const mixdowns = tree.file('Song A/Mixdowns/m.ogg', '', minutesAgo(40));
    tree.wav('Song A/Samples/kick.wav', { mtime: minutesAgo(0) });
    tree.wav('Song A/Backup/Song A backup.wav', { mtime: minutesAgo(0) });
    tree.wav('Song A/Bounces/old/too deep.wav', { mtime: minutesAgo(0) });
    tree.file('Song A/Bounces/notes.txt', 'not audio', minutesAgo(0));
    tree.file('Song A/Bounces/Song A.als', 'not audio', minutesAgo(0));
    tree.folder('Song A/Bounces/folder.wav');

    assert.deepEqual(await discoverAudio(song), [bounce, exported, mixdown, render, mixdowns, top, older]);
  });

  it('given more than 32 bounces, then the 32 newest are kept', async () => {
    const folder = tree.folder('Busy');
    const paths = Array.from({ length: 40 }, (_, index) => tree.file(`Busy/Bounces/take ${String(index).padStart(2, '0')}.wav`, '', minutesAgo(100 - index)));
    const found = await discoverAudio(folder);
    assert.equal(MAX_DISCOVERED_PREVIEWS, 32);
    assert.deepEqual(found, paths.slice(8).reverse());
  });

  it('given a folder without audio, or one that does not exist, then nothing is found', async () => {
    tree.file('Empty/Song.als', 'als');
    assert.deepEqual(await discoverAudio(tree.path('Empty')), []);
    assert.deepEqual(await discoverAudio(tree.path('Missing')), []);
  });

  it('given a folder named like a project, or holding a project file, then its kind follows; otherwise Other', async () => {
    assert.equal(await folderKind(tree.folder('Tune.logicx')), 'Logic Pro');
    tree.file('Song A/Song A.als', 'als');
    tree.file('Song A/notes.txt', '');
    assert.equal(await folderKind(tree.path('Song A')), 'Ableton');
    tree.file('Mixed/b.rpp', '');
    tree.file('Mixed/a.flp', '');
    assert.equal(await folderKind(tree.path('Mixed')), 'FL Studio');
    tree.file('Plain/readme.txt', '');
    assert.equal(await folderKind(tree.path('Plain')), 'Other');
  });
});

describe('import: planning an item', () => {
  let tree: ProjectTree;
  const batch = { kind: null, generatePreviews: false };

  beforeEach(() => {
    tree = tempProjects();
  });

  afterEach(() => tree.cleanup());

  it('given a folder, then the title is its name and the kind the one of the project file in it', async () => {
    const song = tree.folder('Song A');
    tree.file('Song A/Song A.als', 'als');
    assert.deepEqual(await planItem({ projectPath: song }, batch), { title: 'Song A', kind: 'Ableton', projectPath: song, previews: [] });
  });

  it('given a project file, then the title is its name without extension and the kind its extension', async () => {
    const beat = tree.file('Beats/Night Beat.flp', 'flp');
    const plan = await planItem({ projectPath: beat }, batch);
    assert.deepEqual([plan.title, plan.kind], ['Night Beat', 'FL Studio']);
  });

  it('given projectType, the batch kind and a detectable kind, then projectType wins, then the batch kind, then detection', async () => {
    const song = tree.folder('Song A');
    tree.file('Song A/Song A.als', 'als');
    assert.equal((await planItem({ projectPath: song, projectType: 'Bitwig Studio' }, { kind: 'Reaper', generatePreviews: false })).kind, 'Bitwig Studio');
    assert.equal((await planItem({ projectPath: song }, { kind: 'Reaper', generatePreviews: false })).kind, 'Reaper');
    assert.equal((await planItem({ projectPath: song }, batch)).kind, 'Ableton');
  });

  it('given a folder whose name is longer than a title may be, then the default title is its first 200 characters', async () => {
    const name = 'Very long project name '.repeat(10).trim();
    assert.ok(name.length > 200);
    const plan = await planItem({ projectPath: tree.folder(name) }, batch);
    assert.equal(plan.title, name.slice(0, 200).trim());
  });

  it('given a title with spaces around it, then it is trimmed', async () => {
    const song = tree.folder('Song A');
    assert.equal((await planItem({ projectPath: song, title: '  My Song  ' }, batch)).title, 'My Song');
  });

  it('given a path that does not exist, then the item fails with the one projectPath reason, the cause kept as its detail', async () => {
    const unusable = (error: unknown) => error instanceof ItemFailure && error.message === UNUSABLE_PROJECT && /ENOENT|ENOTDIR/.test(error.detail);
    await assert.rejects(planItem({ projectPath: tree.path('Nope') }, batch), unusable);
    const file = tree.file('file.txt', 'x');
    await assert.rejects(planItem({ projectPath: `${file}/inside` }, batch), unusable);
  });

  it('given previewAudioPath and generatePreviews, then the given file comes first, discovered files follow newest first, the given one once', async () => {
    const song = tree.folder('Song A');
    const given = tree.wav('Song A/Bounces/master.wav', { mtime: minutesAgo(90) });
    const newer = tree.wav('Song A/Bounces/newer.wav', { mtime: minutesAgo(1) });
    const older = tree.wav('Song A/Bounces/older.wav', { mtime: minutesAgo(30) });
    const plan = await planItem({ projectPath: song, previewAudioPath: given }, { kind: null, generatePreviews: true });
    assert.deepEqual(plan.previews, [
      { path: given, mime: 'audio/wav' },
      { path: newer, mime: 'audio/wav' },
      { path: older, mime: 'audio/wav' },
    ]);
  });

  it('given generatePreviews and a file named .wav that is not audio, then it is left out', async () => {
    const song = tree.folder('Song A');
    tree.file('Song A/Bounces/fake.wav', 'not a wav at all', minutesAgo(0));
    const real = tree.wav('Song A/Bounces/real.wav', { mtime: minutesAgo(5) });
    assert.deepEqual((await planItem({ projectPath: song }, { kind: null, generatePreviews: true })).previews, [{ path: real, mime: 'audio/wav' }]);
  });

  it('given a previewAudioPath that is not audio or does not exist, then the item fails with a reason', async () => {
    const song = tree.folder('Song A');
    const text = tree.file('Song A/notes.txt', 'hello');
    for (const previewAudioPath of [text, tree.path('Song A/missing.wav')]) {
      await assert.rejects(planItem({ projectPath: song, previewAudioPath }, batch), (error) => error instanceof ItemFailure && /previewAudioPath/.test(error.message));
    }
  });
});
